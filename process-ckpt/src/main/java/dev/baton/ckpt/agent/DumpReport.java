package dev.baton.ckpt.agent;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A finished dump.
 *
 * @param workload    the workload's name
 * @param pid         its root PID on the source (now gone, unless the dump left it running)
 * @param dumpId      names the dump's images kept on the source until the dump is settled (see HostService)
 * @param bundleBytes size of the sealed bundle written; 0 for a CHECKPOINT, which streams nothing
 * @param phasesMs    wall time of each phase in milliseconds, in order (e.g. criu-start, dump, seal)
 * @param connections the dump's TCP connections (not its listening sockets), as in its images; empty when the
 *                    host service does not report them
 */
public record DumpReport(String workload, long pid, String dumpId, long bundleBytes, Map<String, Double> phasesMs,
                         List<DumpedConnection> connections) {
    public DumpReport {
        phasesMs = Collections.unmodifiableMap(new LinkedHashMap<>(phasesMs));
        connections = connections == null ? List.of() : List.copyOf(connections);
    }

    /** A report without connections. */
    public DumpReport(String workload, long pid, String dumpId, long bundleBytes, Map<String, Double> phasesMs) {
        this(workload, pid, dumpId, bundleBytes, phasesMs, List.of());
    }

    /** This kept dump once sealed: {@code bytes} of bundle, and the seal's time as its last phase. */
    DumpReport sealed(long bytes, double sealMs) {
        Map<String, Double> phases = new LinkedHashMap<>(phasesMs);
        phases.merge("seal", sealMs, Double::sum);
        return new DumpReport(workload, pid, dumpId, bytes, phases, connections);
    }
}
