package dev.baton.gateway.migrate;

import java.util.List;
import java.util.Map;

/**
 * What a finished migration measured.
 *
 * @param phasesMs     wall time of each phase in milliseconds, in order
 * @param freezeMs     from the first flow frozen to the last thawed
 * @param flows        the flows moved (or thawed in place after a rollback)
 * @param heldBytes    bytes the gateway held for the workload during the freeze, all flows
 * @param longestGaps  the longest silence each flow's peer saw in the migration window, each direction
 * @param audit        the wire audit of the migration window (null when no capture ran)
 */
public record MigrationResult(Map<String, Double> phasesMs, double freezeMs, int flows, long heldBytes,
                              List<FlowGap> longestGaps, WireSummary audit) {
    public MigrationResult {
        phasesMs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(phasesMs));
        longestGaps = List.copyOf(longestGaps);
    }

    /** The longest time a peer went without a byte from the workload ({@code downMs}) and the other way. */
    public record FlowGap(long flow, String peer, double upMs, double downMs) {
    }

    /**
     * The wire audit of the migration window, both sides of the gateway.
     *
     * @param pcap    the capture file
     * @param packets packets seen
     * @param rst     RST segments seen
     * @param holes   bytes skipped on the wire that no later segment carried (lost), all flows, both sides
     * @param dups    segments seen twice with the same sequence number and length (retransmissions)
     */
    public record WireSummary(String pcap, long packets, long rst, long holes, long dups) {
    }
}
