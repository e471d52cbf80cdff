package dev.baton.bench;

import dev.baton.demo.GatewayLab;

import dev.baton.ckpt.bundle.BundleWriter;
import dev.baton.ckpt.workload.Workload;
import dev.baton.demo.EndpointProcess;
import dev.baton.netns.NetNamespace;
import dev.baton.socket.StateJson;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * The peer-visible gap of a migration behind Baton's gateway against plain CRIU moving the same workload with its
 * IP, both measured in the same run ({@code scripts/bench-migration.sh}; issue 4, "Benchmarks").
 *
 * <p>The workload is {@link MigrationGapBenchEcho} (a Python echo with in-memory state, ~10 MiB). Two cases: one
 * connection — a {@link EndpointProcess} ({@code StreamEndpoint connect --echo}, 200 messages of 512 bytes a second)
 * that checks every echoed byte — and {@code --connections} (1,000) connections from one
 * {@link MigrationGapBenchFleet} process, 20 messages of 16 bytes a second each. Each case runs in two lanes, each
 * in a lab of its own: {@link MigrationGapBenchGateway} ({@code baton migrate}, the workload changes IP) and
 * {@link MigrationGapBenchPlainCriu} (criu dump/restore, the IP moves with it).
 *
 * <p>In each lane: one warm-up move a → b, a window without a move (the noise floor), then {@code rounds} measured
 * moves alternating b → a, a → b. Each move gets a window of its own, opened 200 ms before it and closed once every
 * peer reads again: the <em>down</em> gap is the longest time a peer went without a byte of its echo (so it holds
 * the up direction too), the <em>up</em> gap the longest time the workload went without a byte from a peer (the
 * workload's own count, across the move). With many connections, "worst" is the connection with the longest gap
 * and "median" the median connection.
 * <pre>
 *   args: [rounds (5)] [--connections 1000] [--cases 1,many] [--lanes gateway,criu]
 * </pre>
 */
public final class MigrationGapBench {
    static final int PORT = GatewayLab.PORT;
    static final String WORKLOAD = GatewayLab.WORKLOAD;
    /** The single connection's stream each way: 200 chunks of 512 bytes a second, as in proxy-migration.md. */
    private static final int ONE_RATE = 102_400;
    private static final int FLEET_MESSAGES_PER_S = 20;
    private static final Duration IDLE_WINDOW = Duration.ofSeconds(2);
    private static final Duration BEFORE_MOVE = Duration.ofMillis(200);
    private static final Duration BETWEEN_MOVES = Duration.ofMillis(500);
    private static final Map<String, Double> GOALS_MS = Map.of("1", 50.0, "many", 150.0);

    /** Where the workload moves: one of the two lanes. */
    interface Lane extends AutoCloseable {
        String name();

        /** The address the peers connect to. */
        InetSocketAddress target();

        NetNamespace peerNetns();

        /** The host the workload runs on now. */
        String at();

        /** The workload's record where it runs now. */
        Workload workload();

        /** Moves the workload to host {@code to}; fails unless it runs there with its connections. */
        Move migrate(String to) throws Exception;
    }

    /**
     * What a lane says about one move.
     *
     * @param phasesMs the move's phases, in order
     * @param holdMs   how long the mechanism held the peers: the gateway's freeze; plain CRIU's dump to route moved
     * @param note     the lane's own figures, for the log
     */
    record Move(Map<String, Double> phasesMs, double holdMs, String note) {
    }

    /** One window of the peers' view: the longest silence of the worst and of the median connection. */
    record PeerWindow(double worstMs, double medianMs, boolean clean, String detail) {
    }

    /** The peers of one case, whichever program they are. */
    interface Peers extends AutoCloseable {
        void reset() throws Exception;

        /** Returns once every peer has read again for a while (after a move). */
        void awaitFlowing(Duration timeout) throws Exception;

        PeerWindow window() throws Exception;
    }

    /** One measured move. */
    record Round(int number, String from, String to, PeerWindow down, MigrationGapBenchEcho.UpGaps up, Move move) {
    }

    /** One lane of one case: its idle window and its measured moves. */
    record LaneResult(String caseName, String lane, PeerWindow idleDown, MigrationGapBenchEcho.UpGaps idleUp,
                      List<Round> rounds) {
        double median(ToDoubleFunction<Round> f) {
            return MigrationGapBench.median(rounds.stream().mapToDouble(f).toArray());
        }

        double max(ToDoubleFunction<Round> f) {
            return rounds.stream().mapToDouble(f).max().orElse(Double.NaN);
        }
    }

    private record Options(int rounds, int connections, Set<String> cases, Set<String> lanes) {
        static Options parse(String[] args) {
            int rounds = 5, connections = 1000;
            Set<String> cases = new LinkedHashSet<>(List.of("1", "many"));
            Set<String> lanes = new LinkedHashSet<>(List.of("gateway", "criu"));
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--connections" -> connections = Integer.parseInt(value(args, ++i));
                    case "--cases" -> cases = new LinkedHashSet<>(List.of(value(args, ++i).split(",")));
                    case "--lanes" -> lanes = new LinkedHashSet<>(List.of(value(args, ++i).split(",")));
                    default -> {
                        if (!args[i].matches("\\d+")) {
                            throw new IllegalArgumentException("unknown argument " + args[i]
                                    + " (rounds, --connections N, --cases 1,many, --lanes gateway,criu)");
                        }
                        rounds = Integer.parseInt(args[i]);
                    }
                }
            }
            if (!Set.of("1", "many").containsAll(cases)) throw new IllegalArgumentException("--cases takes 1 and many");
            if (!Set.of("gateway", "criu").containsAll(lanes)) {
                throw new IllegalArgumentException("--lanes takes gateway and criu");
            }
            return new Options(rounds, connections, cases, lanes);
        }

        private static String value(String[] args, int i) {
            if (i >= args.length) throw new IllegalArgumentException("no value after " + args[i - 1]);
            return args[i];
        }
    }

    private final Options options;
    private final Path work;
    private final List<LaneResult> results = new ArrayList<>();
    /** Whatever is open now, closed by the shutdown hook on Ctrl-C. */
    private volatile AutoCloseable open;

    private MigrationGapBench(Options options, Path work) {
        this.options = options;
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        measure(args);
    }

    /** Runs the benchmark as {@code args} say, prints the log and the tables, and returns what it measured. */
    static List<LaneResult> measure(String... args) throws Exception {
        Options options = Options.parse(args);
        Path work = Files.createTempDirectory("baton-migration-bench-");
        MigrationGapBench bench = new MigrationGapBench(options, work);
        Thread onExit = new Thread(() -> {
            bench.closeOpen();
            CheckpointLab.deleteTree(work);
        }, "migration-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(onExit);
        try {
            bench.run(args);
            return List.copyOf(bench.results);
        } finally {
            bench.closeOpen();
            CheckpointLab.deleteTree(work);
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs
            }
        }
    }

    private synchronized void closeOpen() {
        AutoCloseable o = open;
        open = null;
        if (o == null) return;
        try {
            o.close();
        } catch (Exception e) {
            System.err.println("cleanup: " + e);
        }
    }

    private void run(String[] args) throws Exception {
        System.out.println("scripts/bench-migration.sh " + String.join(" ", args));
        System.out.println(machine());
        BundleWriter.warmUp();
        for (String c : options.cases()) {
            for (String lane : options.lanes()) {
                results.add(runLane(c, lane));
            }
        }
        System.out.println();
        System.out.println("load average at the end: " + loadAverage());
        printTables(args);
    }

    private String caseLabel(String c) {
        return c.equals("1") ? "1 connection" : options.connections() + " connections";
    }

    private LaneResult runLane(String c, String laneName) throws Exception {
        Path home = Files.createDirectory(work.resolve(laneName + "-" + c));
        try {
            Lane lane = laneName.equals("gateway") ? MigrationGapBenchGateway.create(home)
                    : MigrationGapBenchPlainCriu.create(home);
            try (Resources r = new Resources(lane)) {
                open = r;
                Peers peers = c.equals("1") ? onePeer(lane) : fleet(lane, options.connections());
                r.peers = peers;
                System.out.printf(Locale.ROOT, "%n== %s, %s ==%n", caseLabel(c), lane.name());
                Thread.sleep(1000);

                move(lane, peers, 0);
                System.out.println("the restored workload's time namespace: " + timeNamespace(lane.workload()));

                Thread.sleep(BETWEEN_MOVES.toMillis());
                peers.reset();
                MigrationGapBenchEcho.window(lane.workload());
                Thread.sleep(IDLE_WINDOW.toMillis());
                PeerWindow idleDown = peers.window();
                MigrationGapBenchEcho.UpGaps idleUp = MigrationGapBenchEcho.window(lane.workload());
                System.out.printf(Locale.ROOT, "no move, %d s: down worst %.1f / median %.1f ms, up worst %.1f / median"
                        + " %.1f ms%n", IDLE_WINDOW.toSeconds(), idleDown.worstMs(), idleDown.medianMs(),
                        idleUp.maxMs(), idleUp.medianMs());
                List<Round> rounds = new ArrayList<>();
                for (int i = 1; i <= options.rounds(); i++) rounds.add(move(lane, peers, i));

                if (!MigrationGapBenchEcho.countedOn(lane.workload())) {
                    throw new IllegalStateException("the workload's echoed counter did not go on across the moves: "
                            + MigrationGapBenchEcho.echoedByTick(lane.workload()));
                }
                return new LaneResult(caseLabel(c), lane.name(), idleDown, idleUp, rounds);
            } finally {
                open = null;
            }
        } finally {
            CheckpointLab.deleteTree(home);
        }
    }

    /** The lane and its peers, closed together (peers first). */
    private static final class Resources implements AutoCloseable {
        final Lane lane;
        Peers peers;

        Resources(Lane lane) {
            this.lane = lane;
        }

        @Override
        public synchronized void close() throws Exception {
            try {
                if (peers != null) peers.close();
            } finally {
                peers = null;
                lane.close();
            }
        }
    }

    /** Move {@code number} (0: the warm-up, not reported) in its own window. */
    private Round move(Lane lane, Peers peers, int number) throws Exception {
        String from = lane.at(), to = from.equals("a") ? "b" : "a";
        Thread.sleep(BETWEEN_MOVES.toMillis());
        peers.reset();
        MigrationGapBenchEcho.window(lane.workload());
        Thread.sleep(BEFORE_MOVE.toMillis());
        Move m = lane.migrate(to);
        peers.awaitFlowing(Duration.ofSeconds(20));
        PeerWindow down = peers.window();
        MigrationGapBenchEcho.UpGaps up = MigrationGapBenchEcho.window(lane.workload());
        if (!down.clean()) throw new IllegalStateException("the peers' echo was damaged by the move " + from + " -> " + to
                + ": " + down.detail());
        System.out.printf(Locale.ROOT, "%s %s -> %s: down worst %.1f / median %.1f ms, up worst %.1f / median %.1f ms,"
                        + " hold %.1f ms; phases %s; %s%n", number == 0 ? "warm-up" : "move " + number, from, to,
                down.worstMs(), down.medianMs(), up.maxMs(), up.medianMs(), m.holdMs(), phases(m.phasesMs()), m.note());
        return new Round(number, from, to, down, up, m);
    }

    // ---- the peers ----

    private static Peers onePeer(Lane lane) throws Exception {
        EndpointProcess p = EndpointProcess.start("peer", lane.peerNetns(), "connect", StateJson.format(lane.target()),
                "--echo", "--rate", Integer.toString(ONE_RATE));
        try {
            p.await("CONNECTED", Duration.ofSeconds(20));
        } catch (Exception | Error e) {
            p.close();
            throw e;
        }
        return new Peers() {
            @Override
            public void reset() {
                p.send("RESET");
            }

            @Override
            public void awaitFlowing(Duration timeout) throws Exception {
                long before = p.stats().read(), deadline = System.nanoTime() + timeout.toNanos();
                // 20 chunks more: about 100 ms of echo, the stream is flowing again
                while (p.stats().read() < before + 20L * 512) {
                    if (System.nanoTime() > deadline) throw new IllegalStateException("the peer's echo did not resume"
                            + " within " + timeout + ": " + p.stats());
                    Thread.sleep(10);
                }
            }

            @Override
            public PeerWindow window() throws Exception {
                EndpointProcess.Stats s = p.stats();
                return new PeerWindow(s.longestGapMs(), s.longestGapMs(), s.clean(), s.toString());
            }

            @Override
            public void close() throws Exception {
                p.close();
            }
        };
    }

    private static Peers fleet(Lane lane, int connections) throws Exception {
        MigrationGapBenchFleetProcess f = MigrationGapBenchFleetProcess.start(lane.peerNetns(), lane.target(),
                connections, FLEET_MESSAGES_PER_S);
        return new Peers() {
            @Override
            public void reset() {
                f.reset();
            }

            /** Every connection read within the last 3 message intervals, twice 100 ms apart. */
            @Override
            public void awaitFlowing(Duration timeout) throws Exception {
                double quiet = 3 * 1000.0 / FLEET_MESSAGES_PER_S;
                long deadline = System.nanoTime() + timeout.toNanos();
                int flowing = 0;
                while (flowing < 2) {
                    MigrationGapBenchFleetProcess.Stats s = f.stats();
                    if (!s.clean()) return; // window() reports it
                    flowing = s.silentNowMs() < quiet ? flowing + 1 : 0;
                    if (System.nanoTime() > deadline) throw new IllegalStateException("the peers' echo did not resume"
                            + " within " + timeout + ": " + s);
                    Thread.sleep(100);
                }
            }

            @Override
            public PeerWindow window() throws Exception {
                MigrationGapBenchFleetProcess.Stats s = f.stats();
                return new PeerWindow(s.maxGapMs(), s.medianGapMs(), s.clean(), s.toString());
            }

            @Override
            public void close() throws Exception {
                f.close();
            }
        };
    }

    // ---- the report ----

    private void printTables(String[] args) {
        System.out.println("Command: scripts/bench-migration.sh " + String.join(" ", args));
        System.out.println();
        System.out.println("| case | lane | moves | peer gap (down), worst connection: median / max ms | median connection:"
                + " median ms | workload's gap (up), worst: median / max ms | hold median ms | no move: down / up ms |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (LaneResult r : results) {
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %.1f / %.1f | %.1f | %.1f / %.1f | %.1f | %.1f / %.1f |%n",
                    r.caseName(), r.lane(), r.rounds().size(), r.median(x -> x.down().worstMs()),
                    r.max(x -> x.down().worstMs()), r.median(x -> x.down().medianMs()), r.median(x -> x.up().maxMs()),
                    r.max(x -> x.up().maxMs()), r.median(x -> x.move().holdMs()), r.idleDown().worstMs(),
                    r.idleUp().maxMs());
        }
        System.out.println();
        System.out.println("| case | gateway peer gap median / max ms | plain CRIU median / max ms | gateway ÷ plain CRIU"
                + " (medians) | goal (gateway) |");
        System.out.println("|---|---|---|---|---|");
        for (String c : options.cases()) {
            LaneResult g = find(caseLabel(c), "Baton gateway"), p = find(caseLabel(c), "plain CRIU, same IP moved");
            if (g == null || p == null) continue;
            double gm = g.median(x -> x.down().worstMs()), pm = p.median(x -> x.down().worstMs());
            System.out.printf(Locale.ROOT, "| %s | %.1f / %.1f | %.1f / %.1f | %.1f× | ≤ %.0f ms: %s |%n", caseLabel(c),
                    gm, g.max(x -> x.down().worstMs()), pm, p.max(x -> x.down().worstMs()), gm / pm, GOALS_MS.get(c),
                    g.max(x -> x.down().worstMs()) <= GOALS_MS.get(c) ? "met"
                            : gm <= GOALS_MS.get(c) ? "median met, max not" : "not met");
        }
        System.out.println();
        System.out.println("Phases, median of the measured moves (ms):");
        for (LaneResult r : results) {
            Map<String, List<Double>> byPhase = new LinkedHashMap<>();
            for (Round x : r.rounds()) {
                x.move().phasesMs().forEach((k, v) -> byPhase.computeIfAbsent(k, n -> new ArrayList<>()).add(v));
            }
            StringBuilder line = new StringBuilder();
            byPhase.forEach((k, v) -> line.append(String.format(Locale.ROOT, "%s %.1f, ", k,
                    median(v.stream().mapToDouble(Double::doubleValue).toArray()))));
            System.out.printf(Locale.ROOT, "- %s, %s: %s%n", r.caseName(), r.lane(),
                    line.isEmpty() ? "-" : line.substring(0, line.length() - 2));
        }
    }

    private LaneResult find(String caseName, String lane) {
        return results.stream().filter(r -> r.caseName().equals(caseName) && r.lane().equals(lane)).findFirst()
                .orElse(null);
    }

    private static String phases(Map<String, Double> phases) {
        StringBuilder s = new StringBuilder();
        phases.forEach((k, v) -> s.append(String.format(Locale.ROOT, "%s %.1f ", k, v)));
        return s.toString().strip();
    }

    static double median(double[] values) {
        if (values.length == 0) return Double.NaN;
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Whether the workload runs in the host's time namespace (a shifted one would skew its monotonic clock). */
    private static String timeNamespace(Workload w) {
        try {
            Path ours = Files.readSymbolicLink(Path.of("/proc/self/ns/time"));
            Path its = Files.readSymbolicLink(Path.of("/proc", Long.toString(w.rootPid()), "ns", "time"));
            return its.equals(ours) ? "the host's" : "its own (" + its + ")";
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static String machine() {
        String criu;
        try {
            Process p = new ProcessBuilder(CheckpointLab.CRIU, "--version").redirectErrorStream(true).start();
            criu = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("?").strip();
            p.waitFor();
        } catch (IOException | InterruptedException e) {
            criu = "criu ?";
        }
        return String.format(Locale.ROOT, "%d CPUs, kernel %s, %s, Java %s, load average %s",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.version"), criu,
                Runtime.version(), loadAverage());
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }
}
