package dev.baton.ckpt.agent;

import java.util.Set;

/**
 * Points in a dump or restore where the caller may act (CRIU's notifications — {@code network-lock},
 * {@code post-dump}, {@code pre-restore}, {@code post-restore}, … — and Baton's own phases), and progress of
 * long steps. {@link #reached} blocks the operation until it returns; throwing from it fails the operation,
 * which then rolls back.
 *
 * <p>A caller that acts at only some points names them in {@link #actsAt}: an agent then waits for its answer
 * only there, and merely tells it the others. Each answer costs a round trip per agent hop (two in a SHIP's
 * restore, six points), inside the freeze of a migration.
 *
 * <p>A {@link HostService} calls the two-argument forms. The caller of an agent ({@link AgentClient}) receives the
 * forms tagged with the host the point was reached on — a SHIP runs on two hosts — which by default drop the tag.
 */
public interface Hooks {
    Hooks NONE = new Hooks() {
        @Override
        public Set<String> actsAt() {
            return Set.of();
        }
    };

    /** {@link #actsAt()} of a caller that acts at every point (the default). */
    Set<String> EVERY_POINT = Set.of("*");

    /**
     * The point an agent reaches right before it restores a dump on its source because the dump did not get where
     * it was going (a SHIP's target failed, a DUMP's bundle did not reach the caller): the caller can re-aim its
     * sockets at the source first. The restore runs whatever the caller answers: a workload is never left only in
     * images. PID 0.
     */
    String ROLLBACK = "rollback";

    /** The operation reached {@code point} (e.g. "post-dump"); {@code pid} is the process concerned, or 0. */
    default void reached(String point, long pid) throws Exception {
    }

    /** {@code done} of {@code total} bytes (total −1 when unknown) of {@code step} (e.g. "seal", "open"). */
    default void progress(String step, long done, long total) {
    }

    /**
     * The points at which this caller acts ({@link #reached} may throw there, or must have returned before the
     * operation goes on), or {@link #EVERY_POINT}. {@link #reached} is still called for every point; at the
     * others an agent does not wait for it, and what it throws there is only logged.
     */
    default Set<String> actsAt() {
        return EVERY_POINT;
    }

    /** Whether a caller that {@linkplain #actsAt() acts at} {@code points} acts at {@code point}. */
    static boolean actsAt(Set<String> points, String point) {
        return points.contains(point) || points.contains("*");
    }

    /** {@link #reached(String, long)} on the agent named {@code host} (the CN of its certificate). */
    default void reached(String host, String point, long pid) throws Exception {
        reached(point, pid);
    }

    /** {@link #progress(String, long, long)} on the agent named {@code host}. */
    default void progress(String host, String step, long done, long total) {
        progress(step, done, total);
    }
}
