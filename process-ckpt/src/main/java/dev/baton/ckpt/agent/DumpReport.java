package dev.baton.ckpt.agent;

import java.util.Map;

/**
 * A finished dump.
 *
 * @param workload    the workload's name
 * @param pid         its root PID on the source (now gone, unless the dump left it running)
 * @param dumpId      names the dump's images kept on the source until the dump is settled (see HostService)
 * @param bundleBytes size of the sealed bundle written
 * @param phasesMs    wall time of each phase in milliseconds, in order (e.g. criu-start, dump, seal)
 */
public record DumpReport(String workload, long pid, String dumpId, long bundleBytes, Map<String, Double> phasesMs) {
    public DumpReport {
        phasesMs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(phasesMs));
    }
}
