package dev.baton.ckpt.criu;

/**
 * Callbacks at the points where CRIU stops and asks ("notify scripts" in CRIU's terms), called on the thread that
 * made the request, while CRIU waits for the answer. Returning acknowledges the point; throwing makes CRIU fail
 * the request, and the exception becomes the cause of the {@link CriuException} the request throws. A dump that
 * fails leaves the workload running.
 *
 * <p>Order on a dump: {@code preDump} (nothing frozen yet), {@code networkLock} (tree frozen, before sockets are
 * read), {@code postDump} (images written; a failure here still resumes the workload), and {@code networkUnlock}
 * only when the workload keeps running. Order on a restore: {@code preRestore}, {@code setupNamespaces(pid)},
 * {@code postSetupNamespaces}, {@code postRestore(pid)} (tree rebuilt, not yet running), {@code networkUnlock},
 * {@code preResume}, {@code postResume}. {@code pid} is the restored root as seen from this host.
 *
 * <p>The network-lock hooks are where a caller that owns the hold of the workload's packets (network lock
 * {@link CriuOptions.NetworkLock#SKIP}) takes and releases it. Hooks CRIU sends that have no method here
 * (status-ready, orphan-pts-master, query-ext-files, pre-stream) are logged and acknowledged.
 */
public interface CriuNotify {
    /** Acknowledges every point. */
    CriuNotify NONE = new CriuNotify() {};

    default void preDump() throws Exception {}

    default void networkLock() throws Exception {}

    default void postDump() throws Exception {}

    default void preRestore() throws Exception {}

    default void setupNamespaces(int pid) throws Exception {}

    default void postSetupNamespaces() throws Exception {}

    default void postRestore(int pid) throws Exception {}

    default void networkUnlock() throws Exception {}

    default void preResume() throws Exception {}

    default void postResume() throws Exception {}
}
