package dev.baton.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.bench.GatewayBenchClient.ConnectionRate;
import dev.baton.bench.GatewayBenchClient.Idle;
import dev.baton.bench.GatewayBenchClient.Latency;
import dev.baton.bench.GatewayBenchClient.Throughput;
import dev.baton.netns.Commands;
import dev.baton.netns.NetnsException;
import dev.baton.netns.NetnsLab;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * The gateway data-path benchmark behind BENCHMARKS.md ({@code scripts/bench-gateway.sh}): Baton's gateway
 * against a direct connection and against HAProxy in {@code mode tcp}, on the same machine in the same run.
 * <pre>
 *   [client] GatewayBenchClient ──▶ [proxy] haproxy | baton gateway :9000 ──▶ [server] GatewayBenchServer :9000
 *            └──────────────────────── direct ────────────────────────────▶
 * </pre>
 * Three hosts of a {@link NetnsLab}; the client, the server and each proxy are processes of their own. For each
 * round and each path: bulk throughput client → server with 1 and 8 streams (bytes as the server counted them),
 * 64-byte request/response round trips on 1 and on 16 connections (median, p99), new connections per second
 * (connect, 1-byte echo, the server closes; 4 client threads), and the proxy's memory per idle connection
 * (VmRSS and Pss before and after opening N idle connections through it, over N; a JVM's heap is collected
 * before each reading, and as a heap that grew need not shrink again, what is reported is the increase). Each
 * process here may hold 20,000 files (RLIMIT_NOFILE; root lacks CAP_SYS_RESOURCE to raise it) and a proxy holds
 * 2 fds per connection, so "10,000 connections" is measured as the largest round N that fits (9,900), printed
 * with the results. Tables show the median over the rounds with ratios to HAProxy and to direct; every round's
 * figures follow them, with the share of CPU that processes outside the benchmark took meanwhile; a round they
 * disturbed (over 10 % of the CPUs) is measured again, up to 3 times, and the quietest attempt kept.
 * <pre>
 *   args: [--with-gateway] [--rounds R (default 3)] [--idle N] [--only direct,haproxy,gateway] [--pin]
 *         [seconds (default 5)]
 * </pre>
 * {@code --pin}: the client and server on the first half of the CPUs, the proxy on the other half (see
 * {@link #loadCpus()}).
 * Baton's gateway runs with {@code --with-gateway}, or on its own when this build's CLI has {@code baton gateway}.
 */
public final class GatewayBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PORT = 9000;
    /** Files a proxy holds besides its connections (a JVM's jars, epoll and event fds, the admin API). */
    private static final int FD_RESERVE = 200;
    private static final int DEFAULT_IDLE = 9_900;
    /**
     * A path's round is measured again (up to {@link #ATTEMPTS} times, the quietest kept) when processes outside
     * the benchmark took more than this share of the CPUs meanwhile: on a shared machine their bursts, not the
     * proxies, would decide the figures.
     */
    private static final double QUIET = 0.10;
    private static final int ATTEMPTS = 3;
    /** Connections made through a path before it is measured, so that a JVM proxy runs compiled code. */
    private static final long CONNECTION_WARMUP_MS = 5_000;
    private static final String DIRECT = "direct";
    private static final String HAPROXY = "haproxy";
    private static final String GATEWAY = "gateway";

    /** The parsed command line; {@code idle} is already cut to what the fd limit allows. */
    record Options(List<String> paths, int seconds, int rounds, int idle, boolean idleClamped, boolean pin) {
        static Options parse(String[] args) {
            boolean withGateway = false;
            boolean pin = false;
            List<String> only = null;
            int seconds = 5;
            int rounds = 3;
            Integer idle = null;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--with-gateway" -> withGateway = true;
                    case "--pin" -> pin = true;
                    case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                    case "--idle" -> idle = Integer.parseInt(args[++i]);
                    case "--only" -> only = List.of(args[++i].split(","));
                    default -> seconds = Integer.parseInt(args[i]);
                }
            }
            List<String> paths = new ArrayList<>(List.of(DIRECT, HAPROXY));
            if (withGateway || GatewayBenchProxy.Gateway.available()) paths.add(GATEWAY);
            if (only != null) {
                for (String p : only) {
                    if (!List.of(DIRECT, HAPROXY, GATEWAY).contains(p)) throw new IllegalArgumentException("--only: no path " + p);
                }
                paths = only;
            }
            int fit = (fileLimit() - FD_RESERVE) / 2 / 100 * 100;
            int wanted = idle != null ? idle : DEFAULT_IDLE;
            return new Options(List.copyOf(paths), seconds, rounds, Math.min(wanted, fit), wanted > fit, pin);
        }
    }

    /**
     * One path's figures in one round; {@code memory} is null without a proxy process. {@code othersCpu}: the share
     * of all cores that processes outside the benchmark used while it measured throughput, latency and rate.
     */
    record Figures(Throughput one, Throughput eight, Latency latency1, Latency latency16, ConnectionRate rate,
                   IdleMemory memory, double othersCpu) {
    }

    /** The proxy's memory before and after {@code reached} idle connections went through it. */
    record IdleMemory(int opened, int reached, long rssBeforeKb, long rssAfterKb, long pssBeforeKb,
                      long pssAfterKb, long fdsAfter) {
        double rssBytesPerConnection() {
            return (rssAfterKb - rssBeforeKb) * 1024.0 / reached;
        }

        double pssBytesPerConnection() {
            return (pssAfterKb - pssBeforeKb) * 1024.0 / reached;
        }
    }

    private final Options options;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private final Map<String, List<Figures>> results = new LinkedHashMap<>();
    private final List<String> failures = new ArrayList<>();
    private Path dir;
    private NetnsLab lab;
    private GatewayBenchProcess server;
    private GatewayBenchProcess client;
    private volatile GatewayBenchProxy current;
    private volatile boolean cleanedUp;
    private boolean gcWarned;

    private GatewayBench(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        GatewayBench bench = new GatewayBench(options);
        Thread hook = new Thread(bench::cleanUp, "bench-gateway cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            bench.run(String.join(" ", args));
        } finally {
            bench.cleanUp();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook has run already
            }
        }
    }

    private void run(String args) throws Exception {
        String command = System.getProperty("bench.command", "GatewayBench " + args).strip();
        System.out.println("$ " + command);
        System.out.printf(Locale.ROOT, "%s, %d cores, kernel %s, Java %s; paths %s; %d rounds of %d s; %s; idle "
                        + "connections N = %,d (%sRLIMIT_NOFILE %d per process, 2 fds per proxied connection)%n",
                LocalDate.now(), Runtime.getRuntime().availableProcessors(),
                Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip(), Runtime.version(), options.paths,
                options.rounds, options.seconds, options.pin ? "client and server on CPUs " + loadCpus()
                        + ", proxy on CPUs " + proxyCpus() : "processes not pinned", options.idle,
                options.idleClamped ? "the most that fits: " : "", fileLimit());

        dir = Files.createTempDirectory("baton-bench-gateway");
        lab = NetnsLab.create("client", "proxy", "server");
        for (NetnsLab.Host h : lab.hosts()) tune(h);
        InetSocketAddress serverAddress = new InetSocketAddress(lab.host("server").address(), PORT);
        InetSocketAddress proxyAddress = new InetSocketAddress(lab.host("proxy").address(), PORT);
        server = GatewayBenchProcess.java("server", lab.host("server").netns(), loadCpus(), GatewayBenchServer.class,
                serverAddress.getAddress().getHostAddress() + ":" + PORT);
        server.await("LISTENING", Duration.ofSeconds(30));
        startClient();

        for (int round = 1; round <= options.rounds; round++) {
            // Each round starts with another path, so no path always runs first (or right after another).
            for (int k = 0; k < options.paths.size(); k++) {
                String path = options.paths.get((k + round - 1) % options.paths.size());
                Path runDir = Files.createDirectories(dir.resolve(path + "-" + round));
                try {
                    Figures best = null;
                    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
                        GatewayBenchProxy proxy = start(path, proxyAddress, serverAddress, runDir);
                        Figures f;
                        try {
                            labels.put(path, proxy.label());
                            f = measure(proxy);
                            System.out.println("round " + round + " " + proxy.label() + ": " + summary(f));
                        } finally {
                            current = null;
                            proxy.close();
                        }
                        if (best == null || f.othersCpu() < best.othersCpu()) best = f;
                        if (f.othersCpu() <= QUIET) break;
                        System.out.printf(Locale.ROOT, "  other processes took %.0f%% of the CPUs: %s%n",
                                f.othersCpu() * 100, attempt < ATTEMPTS ? "measuring again"
                                        : "keeping the quietest of " + ATTEMPTS + " attempts");
                    }
                    results.computeIfAbsent(path, p -> new ArrayList<>()).add(best);
                } catch (IllegalStateException | IOException e) {
                    // One path failing (a gateway still being written, say) leaves the others' figures standing.
                    String failure = "round " + round + " " + path + " FAILED: " + e.getMessage();
                    failures.add(failure);
                    System.out.println(failure);
                    client.close(); // it may still be inside the command that failed
                    startClient();
                }
            }
        }
        System.out.println();
        printTables(command);
        if (!failures.isEmpty()) {
            System.out.println();
            System.out.println("Failed (left out of the tables):");
            failures.forEach(f -> System.out.println("  " + f));
        }
    }

    private void startClient() throws Exception {
        if (cleanedUp) throw new IllegalStateException("interrupted: the lab is gone");
        client = GatewayBenchProcess.java("client", lab.host("client").netns(), loadCpus(), GatewayBenchClient.class);
        client.await("READY", Duration.ofSeconds(30));
    }

    /**
     * With {@code --pin}, the client and the server share the first half of the CPUs and the proxy has the other
     * half: every proxied hop then crosses CPUs, every run alike. Unpinned, the scheduler places the processes anew
     * each round, and round trips come out bimodal (on 2 vCPUs here: 17 or 55 µs direct), whichever the rounds drew.
     */
    private String loadCpus() {
        int n = Runtime.getRuntime().availableProcessors();
        return options.pin ? cpuRange(0, Math.max(1, n / 2)) : null;
    }

    private String proxyCpus() {
        int n = Runtime.getRuntime().availableProcessors();
        return options.pin ? cpuRange(Math.min(n / 2, n - 1), n) : null;
    }

    private static String cpuRange(int from, int to) {
        return to - from == 1 ? Integer.toString(from) : from + "-" + (to - 1);
    }

    /** Wider ephemeral port range, TIME_WAIT reuse and a longer accept queue, inside the lab's namespaces only. */
    private static void tune(NetnsLab.Host host) {
        host.netns().exec(null, "sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=10000 65000",
                "net.ipv4.tcp_tw_reuse=1", "net.core.somaxconn=8192", "net.ipv4.tcp_max_syn_backlog=8192");
    }

    private GatewayBenchProxy start(String path, InetSocketAddress listen, InetSocketAddress server, Path runDir)
            throws Exception {
        GatewayBenchProxy proxy = switch (path) {
            case DIRECT -> new GatewayBenchProxy.Direct(server);
            case HAPROXY -> GatewayBenchProxy.Haproxy.start(lab.host("proxy"), proxyCpus(), listen, server, runDir);
            case GATEWAY -> GatewayBenchProxy.Gateway.start(lab.host("proxy"), proxyCpus(), listen, server, runDir);
            default -> throw new IllegalArgumentException(path);
        };
        current = proxy;
        // Short probes, so that a proxy that died at start-up is reported at once with its log.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                client.ask("PROBE " + hostPort(proxy.target()) + " 1000", "RESULT", Duration.ofSeconds(30));
                return proxy;
            } catch (IllegalStateException e) {
                boolean died = proxy.process() != null && !proxy.process().isAlive();
                if (died || System.nanoTime() > deadline) {
                    String log = proxy.process() != null ? "\n" + proxy.process().logTail() : "";
                    proxy.close();
                    throw new IllegalStateException(path + (died ? " ended at start-up" : " does not forward to the "
                            + "server within 60 s") + ": " + e.getMessage() + log, e);
                }
            }
        }
    }

    private Figures measure(GatewayBenchProxy proxy) throws Exception {
        String target = hostPort(proxy.target());
        long millis = options.seconds * 1000L;
        Duration timeout = Duration.ofMillis(millis * 2 + 60_000);
        ask("THROUGHPUT " + target + " 8 1000", Throughput.class, timeout); // warms every JIT on the data path
        // and the connection path (accept, connect, close), which bulk transfers do not take: a JVM proxy
        // compiles it only under this load, and its rate climbs for about 4 s from a cold start (seen on 2 cores)
        ask("CONNRATE " + target + " 4 " + CONNECTION_WARMUP_MS + " 0", ConnectionRate.class, timeout);
        GatewayBenchCpu cpuBefore = cpu(proxy);
        Throughput one = ask("THROUGHPUT " + target + " 1 " + millis, Throughput.class, timeout);
        Throughput eight = ask("THROUGHPUT " + target + " 8 " + millis, Throughput.class, timeout);
        Latency latency1 = ask("LATENCY " + target + " 1 20000 2000", Latency.class, timeout);
        Latency latency16 = ask("LATENCY " + target + " 16 2000 500", Latency.class, timeout);
        ConnectionRate rate = ask("CONNRATE " + target + " 4 " + millis + " 500", ConnectionRate.class, timeout);
        double othersCpu = cpuBefore.othersShareUntil(cpu(proxy));
        IdleMemory memory = proxy.process() != null ? idleMemory(proxy) : null;
        if (proxy.process() != null && !proxy.process().isAlive()) {
            throw new IllegalStateException(proxy.label() + " died during the run:\n" + proxy.process().logTail());
        }
        return new Figures(one, eight, latency1, latency16, rate, memory, othersCpu);
    }

    private GatewayBenchCpu cpu(GatewayBenchProxy proxy) throws IOException {
        int self = (int) ProcessHandle.current().pid();
        return proxy.process() == null ? GatewayBenchCpu.read(self, client.pid(), server.pid())
                : GatewayBenchCpu.read(self, client.pid(), server.pid(), proxy.process().pid());
    }

    private IdleMemory idleMemory(GatewayBenchProxy proxy) throws Exception {
        int pid = proxy.process().pid();
        settle(proxy);
        long[] before = memoryKb(pid);
        Idle opened = ask("IDLE " + hostPort(proxy.target()) + " " + options.idle, Idle.class, Duration.ofMinutes(5));
        int reached = awaitIdle(opened.count());
        Thread.sleep(2000);
        settle(proxy);
        long[] after = memoryKb(pid);
        long fds;
        try (Stream<Path> s = Files.list(Path.of("/proc", Integer.toString(pid), "fd"))) {
            fds = s.count();
        }
        ask("CLOSEIDLE", Idle.class, Duration.ofMinutes(2));
        awaitIdle(0);
        if (reached < options.idle) {
            System.out.printf(Locale.ROOT, "  %s: only %,d of %,d idle connections reached the server (%,d failed to open)%n",
                    proxy.label(), reached, options.idle, opened.failures());
        }
        return new IdleMemory(opened.count(), reached, before[0], after[0], before[1], after[1], fds);
    }

    /** Waits until the server holds {@code count} idle connections, or their number stops moving for 5 s. */
    private int awaitIdle(int count) throws Exception {
        int last = -1;
        long lastChange = System.nanoTime();
        while (true) {
            int now = Integer.parseInt(server.ask("IDLE", "IDLE", Duration.ofSeconds(10)));
            if (now == count) return now;
            if (now != last) {
                last = now;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > 5_000_000_000L) {
                return now;
            }
            Thread.sleep(100);
        }
    }

    /** Lets the proxy come to rest before its memory is read: a full GC for a JVM, then a second. */
    private void settle(GatewayBenchProxy proxy) throws InterruptedException {
        if (proxy.isJvm()) {
            Path jcmd = Path.of(GatewayBenchProcess.javaCommand()).resolveSibling("jcmd");
            try {
                Commands.run(List.of(jcmd.toString(), Integer.toString(proxy.process().pid()), "GC.run"), null);
            } catch (NetnsException | java.io.UncheckedIOException e) {
                if (!gcWarned) System.out.println("  (no GC before the memory reading: " + e.getMessage() + ")");
                gcWarned = true;
            }
        }
        Thread.sleep(1000);
    }

    /** VmRSS and Pss of {@code pid}, in KiB. */
    static long[] memoryKb(int pid) throws IOException {
        Path proc = Path.of("/proc", Integer.toString(pid));
        return new long[]{field(Files.readString(proc.resolve("status")), "VmRSS:"),
                field(Files.readString(proc.resolve("smaps_rollup")), "Pss:")};
    }

    private static long field(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name)) return Long.parseLong(line.substring(name.length()).replace("kB", "").strip());
        }
        throw new IllegalStateException("no " + name + " in /proc");
    }

    private <T> T ask(String command, Class<T> type, Duration timeout) throws Exception {
        return JSON.readValue(client.ask(command, "RESULT", timeout), type);
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** The hard RLIMIT_NOFILE of this process, which every process it starts inherits. */
    static int fileLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) return Integer.parseInt(line.split("\\s+")[4]);
            }
        } catch (IOException | RuntimeException e) {
            // fall through to the documented limit of this machine
        }
        return 20_000;
    }

    private static String summary(Figures f) {
        String s = String.format(Locale.ROOT, "%.0f MB/s, 8 streams %.0f MB/s, RTT median %.1f µs p99 %.1f µs, "
                        + "16 conns median %.1f µs p99 %.1f µs, %.0f conn/s (%d failed)",
                f.one.megabytesPerSecond(), f.eight.megabytesPerSecond(), f.latency1.medianNanos() / 1e3,
                f.latency1.p99Nanos() / 1e3, f.latency16.medianNanos() / 1e3, f.latency16.p99Nanos() / 1e3,
                f.rate.perSecond(), f.rate.failures());
        s += String.format(Locale.ROOT, ", other processes %.0f%% CPU", f.othersCpu * 100);
        if (f.memory == null) return s;
        return s + String.format(Locale.ROOT, ", idle %,d: RSS %,d → %,d KiB (%.0f B/conn), Pss %.0f B/conn, %,d fds",
                f.memory.reached(), f.memory.rssBeforeKb(), f.memory.rssAfterKb(), f.memory.rssBytesPerConnection(),
                f.memory.pssBytesPerConnection(), f.memory.fdsAfter());
    }

    /** One figure of the tables: its heading, how to read it from a round, and how to print it. */
    private record Column(String heading, ToDoubleFunction<Figures> value, String format) {
    }

    private void printTables(String command) {
        System.out.println("Command: `" + command + "`; median of " + options.rounds + " rounds; ratio = this path ÷ "
                + "the baseline (above 1 is more for throughput and rate, slower for latency, more for memory).");
        System.out.printf(Locale.ROOT, "Processes outside the benchmark used %.0f–%.0f%% of the CPUs while it measured "
                        + "(figures move with that; see each round below).%n",
                results.values().stream().flatMap(List::stream).mapToDouble(Figures::othersCpu).min().orElse(0) * 100,
                results.values().stream().flatMap(List::stream).mapToDouble(Figures::othersCpu).max().orElse(0) * 100);
        table("Bulk throughput client → server (MB/s, higher is better)", List.of(
                new Column("1 stream", f -> f.one.megabytesPerSecond(), "%,.0f"),
                new Column("8 streams", f -> f.eight.megabytesPerSecond(), "%,.0f")));
        table("64-byte request/response, 1 connection (µs, lower is better)", List.of(
                new Column("median", f -> f.latency1.medianNanos() / 1e3, "%.1f"),
                new Column("p99", f -> f.latency1.p99Nanos() / 1e3, "%.1f")));
        table("64-byte request/response, 16 connections at once (µs, lower is better)", List.of(
                new Column("median", f -> f.latency16.medianNanos() / 1e3, "%.1f"),
                new Column("p99", f -> f.latency16.p99Nanos() / 1e3, "%.1f")));
        table("New connections per second: connect, 1-byte echo, close; 4 client threads (higher is better)", List.of(
                new Column("conn/s", f -> f.rate.perSecond(), "%,.0f")));
        table(String.format(Locale.ROOT, "Proxy memory per idle connection at N = %,d (bytes, lower is better; "
                + "increase over N)", options.idle), List.of(
                new Column("RSS B/conn", f -> f.memory == null ? Double.NaN : f.memory.rssBytesPerConnection(), "%,.0f"),
                new Column("Pss B/conn", f -> f.memory == null ? Double.NaN : f.memory.pssBytesPerConnection(), "%,.0f")));
        printGoals();
        System.out.println();
        System.out.println("Every round (path: 1 stream MB/s, 8 streams MB/s, RTT median/p99 µs, 16 conns median/p99 µs, "
                + "conn/s, RSS B/conn, idle connections reached, proxy fds at N, other processes' CPU share):");
        results.forEach((path, rounds) -> {
            for (Figures f : rounds) {
                System.out.printf(Locale.ROOT, "  %-8s %8.0f %8.0f %8.1f/%-8.1f %8.1f/%-8.1f %8.0f %8s %7s %7s %5.0f%%%n", path,
                        f.one.megabytesPerSecond(), f.eight.megabytesPerSecond(), f.latency1.medianNanos() / 1e3,
                        f.latency1.p99Nanos() / 1e3, f.latency16.medianNanos() / 1e3, f.latency16.p99Nanos() / 1e3,
                        f.rate.perSecond(),
                        f.memory == null ? "—" : String.format(Locale.ROOT, "%.0f", f.memory.rssBytesPerConnection()),
                        f.memory == null ? "—" : Integer.toString(f.memory.reached()),
                        f.memory == null ? "—" : Long.toString(f.memory.fdsAfter()), f.othersCpu * 100);
            }
        });
    }

    private void table(String title, List<Column> columns) {
        System.out.println();
        System.out.println("#### " + title);
        StringBuilder head = new StringBuilder("| path |");
        StringBuilder rule = new StringBuilder("|---|");
        for (Column c : columns) {
            head.append(' ').append(c.heading).append(" | × HAProxy | × direct |");
            rule.append("---|---|---|");
        }
        System.out.println(head);
        System.out.println(rule);
        for (String path : results.keySet()) {
            StringBuilder row = new StringBuilder("| " + labels.get(path) + " |");
            for (Column c : columns) {
                double v = median(path, c.value);
                row.append(' ').append(Double.isNaN(v) ? "—" : String.format(Locale.ROOT, c.format, v)).append(" | ")
                        .append(ratio(v, median(HAPROXY, c.value))).append(" | ")
                        .append(ratio(v, median(DIRECT, c.value))).append(" |");
            }
            System.out.println(row);
        }
    }

    /** The goals for the gateway, against HAProxy's medians of this run. */
    private void printGoals() {
        if (!results.containsKey(GATEWAY) || !results.containsKey(HAPROXY)) return;
        System.out.println();
        System.out.println("Goals (issue 4), gateway against HAProxy in this run:");
        goal("throughput, 1 stream ≥ HAProxy", f -> f.one.megabytesPerSecond(), 1.0, true);
        goal("throughput, 8 streams ≥ HAProxy", f -> f.eight.megabytesPerSecond(), 1.0, true);
        goal("new connections/s ≥ HAProxy", f -> f.rate.perSecond(), 1.0, true);
        goal("p99 latency, 1 connection ≤ 1.2 × HAProxy", f -> f.latency1.p99Nanos(), 1.2, false);
        goal("p99 latency, 16 connections ≤ 1.2 × HAProxy", f -> f.latency16.p99Nanos(), 1.2, false);
        goal("memory per idle connection (RSS) ≤ HAProxy", f -> f.memory.rssBytesPerConnection(), 1.0, false);
    }

    private void goal(String name, ToDoubleFunction<Figures> value, double factor, boolean atLeast) {
        double ratio = median(GATEWAY, value) / median(HAPROXY, value);
        boolean met = atLeast ? ratio >= factor : ratio <= factor;
        System.out.printf(Locale.ROOT, "  %-48s %.2f×  %s%n", name, ratio, met ? "met" : "NOT met");
    }

    private double median(String path, ToDoubleFunction<Figures> value) {
        List<Figures> rounds = results.get(path);
        if (rounds == null) return Double.NaN;
        double[] v = rounds.stream().mapToDouble(value).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String ratio(double value, double baseline) {
        if (Double.isNaN(value) || Double.isNaN(baseline) || baseline == 0) return "—";
        return String.format(Locale.ROOT, "%.2f×", value / baseline);
    }

    /** Ends the proxy, the client and the server by PID, deletes the lab and the temporary files. Idempotent. */
    private synchronized void cleanUp() {
        if (cleanedUp) return;
        cleanedUp = true;
        for (AutoCloseable c : new AutoCloseable[]{current, client, server}) {
            if (c == null) continue;
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("bench-gateway: cleanup: " + e);
            }
        }
        if (lab != null) lab.close();
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                System.err.println("bench-gateway: cannot delete " + dir + ": " + e);
            }
        }
    }
}
