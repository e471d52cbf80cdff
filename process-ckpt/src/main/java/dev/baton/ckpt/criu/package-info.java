/**
 * A client for CRIU's RPC service ({@code criu swrk}, CRIU ≥ 4.2): dump and restore of process trees, page
 * servers, with callbacks at CRIU's notification points and CRIU's own errors in the exceptions.
 *
 * <pre>{@code
 * // Source host: start CRIU in the workload's network namespace ahead of time, then dump.
 * try (CriuClient criu = CriuClient.start(CriuLaunch.defaults().inNetns(Path.of("/run/netns/a")))) {
 *     DumpResult dump = criu.dump(CriuOptions.builder(images).pid(root).tcpEstablished(true)
 *             .autoExtMnt(true).extSharing(true).extMasters(true).build(), hooks);
 * }
 * // Target host: restore in its namespace; the restored root is a child of this JVM.
 * try (CriuClient criu = CriuClient.start(CriuLaunch.defaults().inNetns(Path.of("/run/netns/b")))) {
 *     RestoreResult restored = criu.restore(CriuOptions.builder(images).root("/").tcpEstablished(true)
 *             .autoExtMnt(true).extSharing(true).extMasters(true).build(), hooks);
 * }
 * }</pre>
 * One {@link dev.baton.ckpt.criu.CriuClient} serves one dump, restore or check (swrk exits after it).
 * {@code dev.baton.ckpt.criu.rpc} holds the classes generated from CRIU's {@code rpc.proto}: internal.
 */
package dev.baton.ckpt.criu;
