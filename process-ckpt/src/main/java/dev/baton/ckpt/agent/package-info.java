/**
 * The host agent: {@link dev.baton.ckpt.agent.AgentServer} serves one host's
 * {@link dev.baton.ckpt.agent.HostService} (checkpoint, restore, workloads, health) to the other hosts of the
 * cluster, {@link dev.baton.ckpt.agent.AgentClient} calls it. Both sides authenticate with certificates of the
 * cluster CA ({@link dev.baton.ckpt.keys.ClusterKeys}) over TLS 1.3; the peer's name is the CN of its certificate.
 *
 * <h2>Protocol</h2>
 * One TLS connection per call. Everything on it is a frame:
 * <pre>
 *   +------+----------------+-----------------------+
 *   | type | length (u32 BE) | payload (≤ 1 MiB)     |
 *   +------+----------------+-----------------------+
 *   1 MESSAGE  one JSON message (Message: {"type":"dump","request":{…}})
 *   2 DATA     a chunk of the bundle (256 KiB as sent)
 *   3 END      the bundle is complete (empty)
 *   4 WINDOW   u32: the receiver consumed that many DATA bytes; the sender may send that many more
 * </pre>
 * A call, in time order (→ caller to agent, ← agent to caller):
 * <pre>
 *   caller                                   agent a                               agent b (SHIPs only)
 *     |── TLS 1.3, both certificates checked ──|
 *     |←─ hello {host: "a", version: 3} ───────|
 *     |── request {call: dump | restore | ship | checkpoint | ship-kept | settle | health
 *     |            | workloads, actsAt: ["pre-dump", …]} ─→|
 *     |                                        |── TLS as a's identity, hello ─────────→|
 *     |                                        |── request {restore, the same actsAt},
 *     |                                        |   then a's dump as DATA … END ────────→|
 *     |←─ hook {id, host: "a", point} ─────────|   (a point in actsAt: the operation waits)
 *     |── ack {id}  |  abort {id, reason} ────→|                                          |
 *     |←─ passed {host: "a", point} ───────────|   (any other point: it goes on)         |
 *     |←─ progress {host, step, done, total} ──|                                          |
 *     |←─ hook {id', host: "b", point} ────────|←─ hook {id, host: "b", point} ───────────|
 *     |── ack {id'} ──────────────────────────→|── ack {id} ─────────────────────────────→|
 *     |←─ DATA … END (dump)   /   → DATA … END (restore)                                  |
 *     |                                        |←─ restore-result | failure {host: "b"} ─|
 *     |←─ dump-result | restore-result | ship-result | settled | health-result | failure {host, message}
 *     |── close                                |
 * </pre>
 * <ul>
 *   <li><b>Hooks.</b> Each point the operation reaches (CRIU's notifications and Baton's phases) where the
 *       caller acts (the request's {@code actsAt}; {@code ["*"]}: every point) is a HOOK; the operation waits for
 *       the caller's ACK. An ABORT, no answer within the agent's hook timeout (30 s by default), or the caller's
 *       disconnect make the host service's {@code Hooks.reached} throw, so the operation rolls back and the call
 *       ends with a failure. The other points are PASSED, and like PROGRESS need no answer: a migration's
 *       gateway acts only at {@code pre-dump} and {@code rollback}, and each HOOK of a SHIP's target costs a
 *       round trip over two hops inside the freeze.</li>
 *   <li><b>SHIP.</b> Agent a connects to b with its own identity and runs b's RESTORE with its own dump as the
 *       upload: the bundle passes through a's memory one window at a time, never to disk. b's hooks and progress
 *       reach a's caller through a, tagged with b's name; b's failure ends the call with {@code host: "b"}; the
 *       loss of b ends it with a message naming b's address, and a's dump, failing to write, rolls back.</li>
 *   <li><b>Two steps: CHECKPOINT, then SHIP of the kept dump.</b> For a caller that acts between the dump and the
 *       restore (the gateway exchanges sequence numbers with the images and re-aims its sockets):
 *       <pre>
 *   caller                                   agent a                               agent b
 *     |── checkpoint {request} ───────────────→|  CRIU dump, images kept under a dump id
 *     |←─ hook network-lock, post-dump … ──────|
 *     |←─ dump-result {dumpId, connections: [{local, remote, state, rcvNxt, sndNxt, sndUna}], bundleBytes 0}
 *     |   (caller: holds its flows, reads its sockets, re-aims them at b, still held)
 *     |── ship-kept {dumpId, sync: [{local, remote, farEndRcvNxt}], target, restore} ─→|
 *     |                                        |  send queues trimmed to each farEndRcvNxt
 *     |                                        |── restore, sealed images as DATA … END →|   (as in SHIP)
 *     |←─ ship-result {…, synced}  ───────────|  committed here               or, when b failed:
 *     |←─ hook {host: "a", point: "rollback"} ─|  then a restores the workload here
 *     |←─ failure {host: "a", "restore on b failed: …; echo was restored here (pid N)"}
 *       </pre>
 *       A dump kept by CHECKPOINT is settled by exactly one call: SHIP of the kept dump, or SETTLE
 *       ({@code {"type":"settle","dumpId":…,"settlement":"ROLLBACK"|"COMMIT"}}, answered by a restore-result or
 *       {@code settled}). A sync entry that names no connection of the dump fails the SHIP before anything
 *       changed and leaves the dump kept; any later failure restores the workload on a. A dump nobody claims within
 *       the agent's settle timeout (30 s by default, {@code baton agent --settle-timeout}) is restored on a and
 *       logged; a dump being shipped is claimed, so its timer does not run; a SHIP that leaves it kept restarts the
 *       timer. A late call on a settled dump is told what became of it. Stopping the agent restores every dump
 *       it still keeps.</li>
 *   <li><b>Rollback hook.</b> Whenever an agent restores a dump on its source because the dump did not get where
 *       it was going (the target of a SHIP failed or could not be reached, a DUMP's bundle did not reach the
 *       caller), the caller first receives the hook {@code rollback} from the source, so it can re-aim its sockets
 *       there before the workload's sockets come back. The restore runs whatever the answer: an abort, a timeout
 *       or a disconnect is only logged. Likewise the hooks of a SETTLE's rollback cannot stop it.</li>
 *   <li><b>Flow control.</b> Each side reads every frame as it arrives on a reader thread, so hook answers are
 *       never stuck behind bundle bytes. DATA is sent only within the window the receiver granted (4 MiB at the
 *       start, then WINDOW as it consumes): the receiver's buffer is bounded by the window, memory stays flat
 *       whatever the bundle's size, and a host service may wait on a hook with part of the bundle unread without
 *       deadlock.</li>
 *   <li><b>Ending.</b> The outcome is the agent's last message; it then waits briefly for the caller to close, so
 *       what the caller still had in flight does not reset the connection under that message.</li>
 * </ul>
 * Types here are public only when a caller needs them: the server and client, the host service seam and its
 * records, the exceptions. Frames, messages and the streams are package-private. Connection failures are
 * {@link dev.baton.ckpt.agent.AgentConnectionException}s, the cluster's
 * {@link dev.baton.ckpt.keys.ClusterConnectionException} (its reasons are shared with the gateway's admin client);
 * both ends read TLS failures with {@link dev.baton.ckpt.keys.ClusterTlsFailures}.
 */
package dev.baton.ckpt.agent;
