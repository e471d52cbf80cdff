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
 *   caller                                   agent a                               agent b (SHIP only)
 *     |── TLS 1.3, both certificates checked ──|
 *     |←─ hello {host: "a", version: 1} ───────|
 *     |── dump | restore | ship | health | workloads ─→|
 *     |                                        |── TLS as a's identity, hello ─────────→|
 *     |                                        |── restore, then a's dump as DATA … END →|
 *     |←─ hook {id, host: "a", point} ─────────|   (the operation waits)                 |
 *     |── ack {id}  |  abort {id, reason} ────→|                                          |
 *     |←─ progress {host, step, done, total} ──|                                          |
 *     |←─ hook {id', host: "b", point} ────────|←─ hook {id, host: "b", point} ───────────|
 *     |── ack {id'} ──────────────────────────→|── ack {id} ─────────────────────────────→|
 *     |←─ DATA … END (dump)   /   → DATA … END (restore)                                  |
 *     |                                        |←─ restore-result | failure {host: "b"} ─|
 *     |←─ dump-result | restore-result | ship-result | health-result | failure {host, message}
 *     |── close                                |
 * </pre>
 * <ul>
 *   <li><b>Hooks.</b> Each point the operation reaches (CRIU's notifications and Baton's phases) is a HOOK; the
 *       operation waits for the caller's ACK. An ABORT, no answer within the agent's hook timeout (30 s by
 *       default), or the caller's disconnect make the host service's {@code Hooks.reached} throw, so the
 *       operation rolls back and the call ends with a failure. PROGRESS needs no answer.</li>
 *   <li><b>SHIP.</b> Agent a connects to b with its own identity and runs b's RESTORE with its own dump as the
 *       upload: the bundle passes through a's memory one window at a time, never to disk. b's hooks and progress
 *       reach a's caller through a, tagged with b's name; b's failure ends the call with {@code host: "b"}; the
 *       loss of b ends it with a message naming b's address, and a's dump, failing to write, rolls back.</li>
 *   <li><b>Flow control.</b> Each side reads every frame as it arrives on a reader thread, so hook answers are
 *       never stuck behind bundle bytes. DATA is sent only within the window the receiver granted (4 MiB at the
 *       start, then WINDOW as it consumes): the receiver's buffer is bounded by the window, memory stays flat
 *       whatever the bundle's size, and a host service may wait on a hook with part of the bundle unread without
 *       deadlock.</li>
 *   <li><b>Ending.</b> The outcome is the agent's last message; it then waits briefly for the caller to close, so
 *       what the caller still had in flight does not reset the connection under that message.</li>
 * </ul>
 * Types here are public only when a caller needs them: the server and client, the host service seam and its
 * records, the exceptions. Frames, messages and the streams are package-private.
 */
package dev.baton.ckpt.agent;
