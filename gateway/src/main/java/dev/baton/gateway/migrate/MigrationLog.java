package dev.baton.gateway.migrate;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one migration did so far: its events (live progress for the admin API) and the duration of each phase.
 * Written by the migration's thread, read by the admin API's: every method is synchronized.
 */
final class MigrationLog {
    private final String id;
    private final String workload;
    private final String from;
    private final String to;
    private final Instant started = Instant.now();
    private final long t0 = System.nanoTime();
    private final List<MigrationView.Event> events = new ArrayList<>();
    private final Map<String, Double> phasesMs = new LinkedHashMap<>();
    private String phase;
    private long phaseStart;
    private MigrationView.Status status = MigrationView.Status.RUNNING;
    private MigrationResult result;
    private String error;

    MigrationLog(String id, String workload, String from, String to) {
        this.id = id;
        this.workload = workload;
        this.from = from;
        this.to = to;
    }

    String id() {
        return id;
    }

    String workload() {
        return workload;
    }

    /** Ends the running phase (its duration is kept) and starts {@code next}. */
    synchronized void phase(String next, String message) {
        endPhase();
        phase = next;
        phaseStart = System.nanoTime();
        event(message);
    }

    synchronized void event(String message) {
        events.add(new MigrationView.Event(sinceStartMs(), phase == null ? "plan" : phase, message));
    }

    synchronized void endPhase() {
        if (phase != null) phasesMs.merge(phase, (System.nanoTime() - phaseStart) / 1e6, Double::sum);
        phase = null;
    }

    synchronized Map<String, Double> phasesMs() {
        return new LinkedHashMap<>(phasesMs);
    }

    synchronized void end(MigrationView.Status outcome, MigrationResult figures, String why) {
        endPhase();
        result = figures;
        error = why;
        status = outcome;
        events.add(new MigrationView.Event(sinceStartMs(), "end", outcome.name().toLowerCase().replace('_', ' ')
                + (why == null ? "" : ": " + why)));
    }

    synchronized MigrationView.Status status() {
        return status;
    }

    synchronized MigrationView view() {
        return new MigrationView(id, workload, from, to, status, started, events, result, error);
    }

    double sinceStartMs() {
        return (System.nanoTime() - t0) / 1e6;
    }
}
