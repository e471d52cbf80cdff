package dev.baton.ckpt.criu;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A restore that succeeded.
 *
 * @param process  the restored root, a child of this JVM
 * @param wallTime from sending the request to CRIU's answer, callbacks included
 * @param log      CRIU's log of the restore
 * @param stats    CRIU's own timings ({@code stats-restore}), when it wrote them
 */
public record RestoreResult(RestoredProcess process, Duration wallTime, Path log, Optional<RestoreStats> stats) {
    /** The restored root's PID on this host. */
    public int pid() {
        return process.pid();
    }
}
