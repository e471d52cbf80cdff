package dev.baton.ckpt.agent;

import java.util.Map;

/**
 * A finished restore.
 *
 * @param workload          the workload's name, as recorded on this host now
 * @param pid               its new root PID on this host
 * @param rewrittenSockets  inet sockets whose address the rewrite changed
 * @param phasesMs          wall time of each phase in milliseconds, in order (e.g. open, rewrite, restore)
 */
public record RestoreReport(String workload, long pid, int rewrittenSockets, Map<String, Double> phasesMs) {
    public RestoreReport {
        phasesMs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(phasesMs));
    }
}
