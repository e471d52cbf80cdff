package dev.baton.ckpt.agent;

/**
 * Points in a dump or restore where the caller may act (CRIU's notifications — {@code network-lock},
 * {@code post-dump}, {@code pre-restore}, {@code post-restore}, … — and Baton's own phases), and progress of
 * long steps. {@link #reached} blocks the operation until it returns; throwing from it fails the operation,
 * which then rolls back.
 */
public interface Hooks {
    Hooks NONE = new Hooks() {
    };

    /** The operation reached {@code point} (e.g. "post-dump"); {@code pid} is the process concerned, or 0. */
    default void reached(String point, long pid) throws Exception {
    }

    /** {@code done} of {@code total} bytes (total −1 when unknown) of {@code step} (e.g. "seal", "open"). */
    default void progress(String step, long done, long total) {
    }
}
