package dev.baton.ckpt.criu;

import org.slf4j.LoggerFactory;

/**
 * Callbacks at the points where CRIU stops and asks ("notify scripts" in CRIU's terms), called on the thread that
 * made the request, while CRIU waits for the answer. Returning acknowledges the point; throwing makes CRIU fail
 * the request, and the exception becomes the cause of the {@link CriuException} the request throws. A dump that
 * fails leaves the workload running; a restore that fails leaves no restored process behind.
 *
 * <p>What CRIU 4.2 sends for a workload that shares CRIU's network namespace (Baton's case), in order (see
 * DumpRestoreTest): dump: {@code preDump} (nothing frozen yet), {@code postDump} (images written; a failure here
 * still resumes the workload); restore: {@code preRestore}, {@code setupNamespaces(pid)},
 * {@code postSetupNamespaces}, {@code postRestore(pid)} (tree rebuilt, not running yet), {@code preResume},
 * {@code postResume}. {@code pid} is the restored root as seen from this host.
 *
 * <p>{@code networkLock} and {@code networkUnlock} come only when CRIU dumps or restores a whole network namespace
 * (criu/net.c); for a workload in a namespace it shares, CRIU locks each TCP connection itself (or not at all with
 * {@link CriuOptions.NetworkLock#SKIP}) and says nothing. So a caller that holds the workload's packets itself
 * takes the hold in {@code preDump} and releases it after the restore ({@code postRestore} or later). Hooks CRIU
 * sends that have no method here (status-ready, orphan-pts-master, query-ext-files, pre-stream) are logged and
 * acknowledged. A caller that treats every point alike (relays it by name) overrides {@link #notified} instead.
 */
public interface CriuNotify {
    /** Acknowledges every point. */
    CriuNotify NONE = new CriuNotify() {};

    /**
     * Every notification, by CRIU's name for it ({@code "pre-dump"}, {@code "post-restore"}, …) and the PID CRIU
     * sent with it (0 when none). By default calls the method below that has this name.
     */
    default void notified(String hook, int pid) throws Exception {
        var known = Hook.named(hook);
        if (known.isPresent()) {
            known.get().call(this, pid);
        } else {
            LoggerFactory.getLogger(CriuNotify.class).info("CRIU notification '{}' has no callback; acknowledged", hook);
        }
    }

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
