package dev.baton.ckpt.criu;

import java.time.Duration;

/**
 * CRIU's own account of a dump ({@code stats-dump}): how long freezing the tree took, how long it stayed frozen,
 * and the memory work.
 */
public record DumpStats(Duration freezing, Duration frozen, Duration memDump, Duration memWrite, long pagesScanned,
                        long pagesWritten) {}
