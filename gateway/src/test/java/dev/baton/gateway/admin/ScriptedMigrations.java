package dev.baton.gateway.admin;

import dev.baton.gateway.migrate.MigrationRefusedException;
import dev.baton.gateway.migrate.MigrationResult;
import dev.baton.gateway.migrate.MigrationView;
import dev.baton.gateway.migrate.MigrationView.Event;
import dev.baton.gateway.migrate.MigrationView.Status;
import dev.baton.gateway.migrate.Migrations;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Migrations that follow a script (pure logic, for the admin API and the CLI; the real migration is tested end to
 * end elsewhere): each workload has a script of events, revealed one per {@link #find}, then its end; a workload
 * can instead be refused with a reason. Every migration starts from host "a".
 */
public final class ScriptedMigrations implements Migrations {
    /** What a migration of one workload does: these events, one per look, then {@code end}. */
    public record Script(List<Event> events, Status end, MigrationResult result, String error) {
    }

    private final Map<String, Script> scripts = new HashMap<>();
    private final Map<String, String> refusals = new HashMap<>();
    private final Map<String, Run> runs = new LinkedHashMap<>();
    private final List<String> started = new ArrayList<>();

    private static final class Run {
        final String id;
        final String workload;
        final String to;
        final Script script;
        int shown;

        Run(String id, String workload, String to, Script script) {
            this.id = id;
            this.workload = workload;
            this.to = to;
            this.script = script;
        }

        MigrationView view() {
            boolean ended = shown > script.events().size();
            List<Event> events = script.events().subList(0, Math.min(shown, script.events().size()));
            return new MigrationView(id, workload, "a", to, ended ? script.end() : Status.RUNNING,
                    Instant.parse("2026-11-25T10:15:30Z"), events, ended ? script.result() : null,
                    ended ? script.error() : null);
        }
    }

    public ScriptedMigrations script(String workload, Script script) {
        scripts.put(workload, script);
        return this;
    }

    public ScriptedMigrations refuse(String workload, String reason) {
        refusals.put(workload, reason);
        return this;
    }

    /** "workload→host" of each start asked for, in order. */
    public synchronized List<String> started() {
        return List.copyOf(started);
    }

    @Override
    public synchronized MigrationView start(String workload, String toHost) {
        started.add(workload + "→" + toHost);
        if (refusals.containsKey(workload)) throw new MigrationRefusedException(refusals.get(workload));
        Script script = scripts.get(workload);
        if (script == null) throw new MigrationRefusedException("no workload " + workload + " behind this gateway");
        Run run = new Run("m-" + (runs.size() + 1), workload, toHost, script);
        runs.put(run.id, run);
        return run.view();
    }

    /** Each look shows one more event; after the last, the end. */
    @Override
    public synchronized Optional<MigrationView> find(String id) {
        Run run = runs.get(id);
        if (run == null) return Optional.empty();
        run.shown = Math.min(run.shown + 1, run.script.events().size() + 1);
        return Optional.of(run.view());
    }

    @Override
    public synchronized List<MigrationView> history() {
        return runs.values().stream().map(Run::view).toList();
    }

    /** A migration that went well: three events, then SUCCEEDED with these figures. */
    public static Script succeeding() {
        return new Script(List.of(
                new Event(0.4, "plan", "2 flows, target b at 198.18.0.3:7441"),
                new Event(12.3, "freeze", "2 flows frozen"),
                new Event(48.9, "thaw", "2 flows thawed on b")),
                Status.SUCCEEDED, figures(), null);
    }

    /** A migration that failed at the restore and went back: three events, then ROLLED_BACK with the error. */
    public static Script rollingBack() {
        return new Script(List.of(
                new Event(0.5, "plan", "2 flows, target b at 198.18.0.3:7441"),
                new Event(11.0, "freeze", "2 flows frozen"),
                new Event(95.2, "rollback", "restored on a, 2 flows thawed")),
                Status.ROLLED_BACK, null, "restore on b failed: port 7000 is taken there");
    }

    static MigrationResult figures() {
        Map<String, Double> phases = new LinkedHashMap<>();
        phases.put("plan", 0.4);
        phases.put("freeze", 0.3);
        phases.put("dump", 14.2);
        phases.put("restore", 21.5);
        phases.put("thaw", 0.2);
        return new MigrationResult(phases, 36.6, 2, 1536, List.of(
                new MigrationResult.FlowGap(1, "198.18.0.1:40312", 38.2, 30.1),
                new MigrationResult.FlowGap(2, "198.18.0.1:40318", 12.0, 40.5)),
                new MigrationResult.WireSummary("/var/lib/baton/migrations/m-1.pcap", 1234, 0, 0, 0));
    }
}
