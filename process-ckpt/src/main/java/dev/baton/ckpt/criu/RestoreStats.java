package dev.baton.ckpt.criu;

import java.time.Duration;

/** CRIU's own account of a restore ({@code stats-restore}): forking the tree, and the restore as a whole. */
public record RestoreStats(Duration forking, Duration restore, long pagesRestored) {}
