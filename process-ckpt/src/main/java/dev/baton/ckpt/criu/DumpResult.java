package dev.baton.ckpt.criu;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A dump that succeeded.
 *
 * @param wallTime from sending the request to CRIU's answer, callbacks included
 * @param log      CRIU's log of the dump
 * @param stats    CRIU's own timings ({@code stats-dump} in the images), when it wrote them
 */
public record DumpResult(Duration wallTime, Path log, Optional<DumpStats> stats) {}
