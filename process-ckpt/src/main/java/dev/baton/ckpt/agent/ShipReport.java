package dev.baton.ckpt.agent;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A finished SHIP: a dump on {@code source} piped straight into a restore on {@code target}.
 *
 * @param source   the agent that dumped (the CN of its certificate)
 * @param target   the agent that restored
 * @param dump     the source's report
 * @param restore  the target's report
 * @param bytes    bundle bytes streamed from source to target
 * @param phasesMs wall time on the source, in milliseconds, in order. A SHIP: {@code connect} (TLS to the
 *                 target), {@code dump} (the dump with the bundle streaming out), {@code restore} (from the end of
 *                 the stream to the target's result), {@code total}. A SHIP of a kept dump: {@code sync} (the send
 *                 queues trimmed), {@code connect}, {@code seal} (the bundle streaming out), {@code restore},
 *                 {@code total}
 * @param synced   the send queues trimmed before sealing (a SHIP of a kept dump), in the order given
 */
public record ShipReport(String source, String target, DumpReport dump, RestoreReport restore, long bytes,
                         Map<String, Double> phasesMs, List<SyncedSendQueue> synced) {
    public ShipReport {
        phasesMs = Collections.unmodifiableMap(new LinkedHashMap<>(phasesMs));
        synced = synced == null ? List.of() : List.copyOf(synced);
    }

    /** A report of a ship that trimmed no send queue. */
    public ShipReport(String source, String target, DumpReport dump, RestoreReport restore, long bytes,
                      Map<String, Double> phasesMs) {
        this(source, target, dump, restore, bytes, phasesMs, List.of());
    }
}
