package dev.baton.ckpt.agent;

/**
 * Checkpoint one workload.
 *
 * @param workload name of a workload recorded on that host
 * @param networkLockSkip leave connections unlocked during the dump: a component outside (the gateway, a test's
 *                        peer) holds them. Otherwise CRIU's own nftables lock is used.
 */
public record DumpRequest(String workload, boolean networkLockSkip) {
}
