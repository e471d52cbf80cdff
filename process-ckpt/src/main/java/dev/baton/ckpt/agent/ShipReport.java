package dev.baton.ckpt.agent;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A finished SHIP: a dump on {@code source} piped straight into a restore on {@code target}.
 *
 * @param source   the agent that dumped (the CN of its certificate)
 * @param target   the agent that restored
 * @param dump     the source's report
 * @param restore  the target's report
 * @param bytes    bundle bytes streamed from source to target
 * @param phasesMs wall time on the source, in milliseconds, in order: {@code connect} (TLS to the target),
 *                 {@code dump} (the dump with the bundle streaming out), {@code restore} (from the end of the
 *                 stream to the target's result), {@code total}
 */
public record ShipReport(String source, String target, DumpReport dump, RestoreReport restore, long bytes,
                         Map<String, Double> phasesMs) {
    public ShipReport {
        phasesMs = Collections.unmodifiableMap(new LinkedHashMap<>(phasesMs));
    }
}
