package dev.baton.bench;

import dev.baton.demo.GatewayLab;

import dev.baton.ckpt.workload.Workload;
import dev.baton.gateway.migrate.MigrationResult;
import dev.baton.gateway.migrate.MigrationResult.FlowGap;
import dev.baton.gateway.migrate.MigrationView;
import dev.baton.netns.NetNamespace;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The lane under test of {@link MigrationGapBench}: the echo workload behind Baton's gateway in
 * {@link GatewayLab} (peer, gw, a, b; agents a and b in this JVM, the gateway a process of its own), moved by
 * {@code baton migrate --json}. The peers connect to the gateway's service address; the workload moves between
 * hosts with different IPs. A move's phases are the gateway's own ({@code result().phasesMs()}), plus where the time
 * of its dump and ship phases goes ({@link #insidePhases}).
 */
final class MigrationGapBenchGateway implements MigrationGapBench.Lane {
    private final GatewayLab stage;
    private String at = "a";

    private MigrationGapBenchGateway(GatewayLab stage) {
        this.stage = stage;
    }

    /** The stage in {@code home}, the echo workload on a, and the gateway in front of it. */
    static MigrationGapBenchGateway create(Path home) throws Exception {
        GatewayLab stage = GatewayLab.create(home);
        try {
            Workload w = stage.startWorkload(MigrationGapBenchEcho.command(GatewayLab.PORT));
            MigrationGapBenchEcho.awaitListening(w);
            stage.startGateway();
            return new MigrationGapBenchGateway(stage);
        } catch (Exception | Error e) {
            stage.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return "Baton gateway";
    }

    @Override
    public InetSocketAddress target() {
        return stage.service();
    }

    @Override
    public NetNamespace peerNetns() {
        return stage.lab.host("peer").netns();
    }

    @Override
    public String at() {
        return at;
    }

    @Override
    public Workload workload() {
        return stage.workload(at);
    }

    /**
     * {@code baton migrate --workload echo --to TO --json}; fails unless it succeeded. The note gives the gateway's
     * own view: its freeze, held bytes, and the longest gap it measured on any flow each way.
     */
    @Override
    public MigrationGapBench.Move migrate(String to) throws Exception {
        long t0 = System.nanoTime();
        GatewayLab.Migrated m = stage.migrate(to);
        double wall = (System.nanoTime() - t0) / 1e6;
        if (m.exitCode() != 0 || m.view() == null || m.view().status() != MigrationView.Status.SUCCEEDED) {
            String log = stage.gatewayLog();
            throw new IllegalStateException("baton migrate " + at + " -> " + to + " did not succeed (exit "
                    + m.exitCode() + "): " + m.err().strip() + " " + m.view() + "\ngateway log (end): "
                    + log.substring(Math.max(0, log.length() - 4000)));
        }
        at = to;
        MigrationResult r = m.view().result();
        String seen = r.longestGaps().isEmpty() ? "none reported"
                : String.format(Locale.ROOT, "up %.1f / down %.1f ms",
                r.longestGaps().stream().mapToDouble(FlowGap::upMs).max().orElseThrow(),
                r.longestGaps().stream().mapToDouble(FlowGap::downMs).max().orElseThrow());
        StringBuilder timeline = new StringBuilder();
        for (MigrationView.Event e : m.view().events()) {
            timeline.append(String.format(Locale.ROOT, "%n    %8.1f ms  %-9s %s", e.atMs(), e.phase(), e.message()));
        }
        String note = String.format(Locale.ROOT, "gateway: freeze %.1f ms, %d flows, %d bytes held, longest gaps it"
                        + " measured: %s; baton migrate wall %.0f ms; events:%s", r.freezeMs(), r.flows(), r.heldBytes(),
                seen, wall, timeline);
        Map<String, Double> phases = new LinkedHashMap<>(r.phasesMs());
        phases.putAll(insidePhases(m.view().events()));
        return new MigrationGapBench.Move(phases, r.freezeMs(), note);
    }

    /**
     * Where the time of the two long phases goes, from the events' times and CRIU's hooks as the agents relay them:
     * {@code dump.to-criu} (the agent call and CRIU's start until its pre-dump hook), {@code dump.criu} (pre-dump to
     * post-dump), {@code dump.after} (to "dumped"); {@code ship.to-criu} (seal, transfer, open, image rewrite and
     * CRIU's start on the target until pre-restore), {@code ship.criu} (pre-restore to post-resume),
     * {@code ship.after} (to "restored"). Empty when an event is missing.
     */
    static Map<String, Double> insidePhases(List<MigrationView.Event> events) {
        Map<String, Double> out = new LinkedHashMap<>();
        // The agent call starts in "prepare" (CRIU starting on the source); the flows freeze at pre-dump.
        OptionalDouble dump = first(events, e -> e.phase().equals("prepare") || e.phase().equals("dump"));
        OptionalDouble preDump = first(events, e -> e.message().contains(": pre-dump"));
        OptionalDouble postDump = first(events, e -> e.message().contains(": post-dump"));
        OptionalDouble dumped = first(events, e -> e.message().startsWith("dumped "));
        OptionalDouble ship = first(events, e -> e.phase().equals("ship"));
        OptionalDouble preRestore = first(events, e -> e.message().contains(": pre-restore"));
        OptionalDouble postResume = first(events, e -> e.message().contains(": post-resume"));
        OptionalDouble restored = first(events, e -> e.message().startsWith("restored on "));
        if (Stream.of(dump, preDump, postDump, dumped, ship, preRestore, postResume, restored)
                .anyMatch(OptionalDouble::isEmpty)) {
            return out;
        }
        out.put("dump.to-criu", preDump.getAsDouble() - dump.getAsDouble());
        out.put("dump.criu", postDump.getAsDouble() - preDump.getAsDouble());
        out.put("dump.after", dumped.getAsDouble() - postDump.getAsDouble());
        out.put("ship.to-criu", preRestore.getAsDouble() - ship.getAsDouble());
        out.put("ship.criu", postResume.getAsDouble() - preRestore.getAsDouble());
        out.put("ship.after", restored.getAsDouble() - postResume.getAsDouble());
        return out;
    }

    private static OptionalDouble first(List<MigrationView.Event> events, Predicate<MigrationView.Event> which) {
        return events.stream().filter(which).mapToDouble(MigrationView.Event::atMs).findFirst();
    }

    @Override
    public void close() throws Exception {
        stage.close();
    }
}
