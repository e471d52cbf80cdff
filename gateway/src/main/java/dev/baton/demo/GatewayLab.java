package dev.baton.demo;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.baton.ckpt.BatonHome;
import dev.baton.ckpt.Checkpointer;
import dev.baton.ckpt.agent.AgentServer;
import dev.baton.ckpt.bundle.BundleWriter;
import dev.baton.ckpt.agent.HostService;
import dev.baton.ckpt.criu.CriuLaunch;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.cli.Baton;
import dev.baton.gateway.admin.AdminApi;
import dev.baton.gateway.admin.AdminClient;
import dev.baton.gateway.migrate.MigrationView;
import dev.baton.gateway.proxy.FlowView;
import dev.baton.netns.NetnsLab;
import dev.baton.socket.StateJson;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The gateway lab: a peer host, the gateway's host, and hosts a and b with an agent each (in this JVM, each in its
 * namespace, with its own workloads and images), all in 198.18.0.0/15. The gateway runs as {@code baton gateway
 * --config FILE} in its namespace, a separate process as in production; {@code baton migrate} runs there too,
 * against the gateway's loopback admin API. The workload — EchoCounter, or {@code gateway-workload.py} — starts on
 * a, behind service "echo" on the gateway's port {@link #SERVICE_PORT}. For fault tests an agent can be replaced by
 * one whose checkpoint service is wrapped (to act at a point of a restore) or by a {@code baton agent} process (to
 * be killed). {@link #leftovers()} says what a test must not leave behind; {@link #diagnostics()} what to read when
 * it fails.
 */
public final class GatewayLab implements AutoCloseable {
    public static final int SERVICE_PORT = 9000;
    public static final int PORT = ProcessMigrationScenario.PORT;
    public static final String WORKLOAD = "echo";
    private static final int AGENT_PORT = 7441;
    private static final InetSocketAddress ADMIN = new InetSocketAddress("127.0.0.1", 7440);
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    /** nftables tables a migration may leave behind: the gateway's hold and CRIU's network lock. */
    private static final Pattern HOLD_OR_LOCK = Pattern.compile("baton_hold_\\S*|CRIU-\\S*");
    public static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public final NetnsLab lab;
    public final Path home;
    public final Map<String, Workloads> workloads;
    private final List<AutoCloseable> closers = new ArrayList<>();
    private final ClusterKeys ca;
    private final Map<String, ClusterKeys> keys = new HashMap<>();
    private final Map<String, Path> keyDirs = new HashMap<>();
    private final Map<String, AutoCloseable> agents = new HashMap<>();
    private final Map<String, InetSocketAddress> agentsInConfig = new HashMap<>();
    /** What only the workload's own processes have in their command line. */
    private String workloadMarker;
    private Process gateway;

    private GatewayLab(NetnsLab lab, Path home) throws Exception {
        BundleWriter.warmUp(); // as 'baton agent' does when it starts: the first bundle seals at full speed
        this.lab = lab;
        this.home = home;
        this.ca = ClusterKeys.init(home.resolve("ca"), "a");
        this.workloads = Map.of("a", new Workloads(home.resolve("a/workloads")),
                "b", new Workloads(home.resolve("b/workloads")));
        ClusterKeys.issue(home.resolve("ca"), "gw", home.resolve("gw/keys"));
    }

    /** The lab, both agents and the workload on a; the gateway is not started yet. */
    public static GatewayLab create(Path home) throws Exception {
        NetnsLab lab = NetnsLab.create("peer", "gw", "a", "b");
        GatewayLab s = null;
        try {
            s = new GatewayLab(lab, home);
            s.keys.put("a", s.ca);
            s.keyDirs.put("a", home.resolve("ca"));
            s.keys.put("b", ClusterKeys.issue(home.resolve("ca"), "b", home.resolve("b/keys")));
            s.keyDirs.put("b", home.resolve("b/keys"));
            s.startAgent("a", UnaryOperator.identity());
            s.startAgent("b", UnaryOperator.identity());
            return s;
        } catch (Exception | Error e) {
            if (s != null) s.close();
            else lab.close();
            throw e;
        }
    }

    /**
     * Starts {@code host}'s agent in this JVM, its checkpoint service wrapped by {@code wrap} (identity: as is), in
     * place of the one running now.
     */
    public void startAgent(String host, UnaryOperator<HostService> wrap) throws Exception {
        stopAgent(host);
        Checkpointer ckpt = new Checkpointer(workloads.get(host), keys.get(host), images(host), CriuLaunch.defaults());
        agents.put(host, AgentServer.start(agentAddress(host), keys.get(host), wrap.apply(ckpt),
                AgentServer.Options.defaults().inNetns(lab.host(host).netns())));
    }

    /** Stops {@code host}'s agent, whichever kind runs. */
    public void stopAgent(String host) throws Exception {
        AutoCloseable running = agents.remove(host);
        if (running != null) running.close();
    }

    /** An agent running as {@code baton agent} in its host's namespace: a process of its own, to be killed. */
    public record AgentProcess(Process process, Path log) implements AutoCloseable {
        public long pid() {
            return process.pid();
        }

        /** SIGKILL: the agent dies at once, as on a crash or a power cut of its host. */
        public void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            if (!process.isAlive()) return;
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) kill();
        }
    }

    /**
     * Replaces {@code host}'s agent by {@code baton agent --listen ADDR --keys DIR} run as a process in the host's
     * namespace, with the same workloads and images directories ({@code baton.home}), and waits until it listens.
     */
    public AgentProcess startAgentProcess(String host) throws Exception {
        stopAgent(host);
        Path log = home.resolve(host + "/agent.log");
        // The log is appended to: only what this agent writes says it listens (a predecessor's line does not).
        int from = Files.exists(log) ? Files.readString(log).length() : 0;
        Process p = new ProcessBuilder(batonOn(host, home.resolve(host), "agent", "--verbose",
                "--listen", StateJson.format(agentAddress(host)), "--keys", keyDirs.get(host).toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        AgentProcess agent = new AgentProcess(p, log);
        agents.put(host, agent);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(log) || !Files.readString(log).substring(from).contains("listening on")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("agent " + host + " did not start: " + Files.readString(log).substring(from));
            }
            Thread.sleep(20);
        }
        return agent;
    }

    /** The gateway's config names {@code address} as {@code host}'s agent (a relay, say); before {@link #startGateway}. */
    public void agentInConfig(String host, InetSocketAddress address) {
        agentsInConfig.put(host, address);
    }

    public InetSocketAddress agentAddress(String host) {
        return new InetSocketAddress(lab.host(host).address(), AGENT_PORT);
    }

    public InetSocketAddress service() {
        return new InetSocketAddress(lab.host("gw").address(), SERVICE_PORT);
    }

    /** Starts EchoCounter (a small JVM with in-memory counters) as the workload on a, listening on {@link #PORT}. */
    public Workload startWorkload() throws Exception {
        Workload w = startWorkload(ProcessMigrationScenario.echoCounterCommand());
        ProcessMigrationScenario.awaitListening(w);
        return w;
    }

    /** Starts {@code command} as the workload on a; it must listen on {@link #PORT} (not waited for). */
    public Workload startWorkload(List<String> command) {
        if (workloadMarker == null) workloadMarker = command.get(command.size() - 2);
        return workloads.get("a").start(WORKLOAD, command, lab.host("a").nsName());
    }

    /**
     * Starts {@code gateway-workload.py} (see there: echo, tail after the peer's end, half-close first; ticks) as the
     * workload on a, with {@code options} (e.g. {@code --lock FILE}), and returns once it listens.
     */
    public Workload startPythonWorkload(String... options) throws Exception {
        Path script = home.resolve("gateway-workload.py");
        try (InputStream in = GatewayLab.class.getResourceAsStream("gateway-workload.py")) {
            Files.write(script, in.readAllBytes());
        }
        workloadMarker = script.toString();
        List<String> cmd = new ArrayList<>(List.of(PYTHON, script.toString(), "0.0.0.0:" + PORT));
        Collections.addAll(cmd, options);
        Workload w = workloads.get("a").start(WORKLOAD, cmd, lab.host("a").nsName());
        ProcessMigrationScenario.awaitListening(w);
        return w;
    }

    /** The PIDs of the workload's processes on this machine, any host: one, unless it was lost or duplicated. */
    public List<Long> workloadProcesses() {
        if (workloadMarker == null) return List.of();
        return ProcessHandle.allProcesses().filter(p -> {
            String cmdline = cmdline(p.pid());
            // not its launcher's steps (as Workloads sees them): setsid, nsenter, unshare, the shell prelude
            return cmdline.contains(workloadMarker) && !cmdline.startsWith("unshare\0")
                    && !cmdline.startsWith("nsenter\0") && !cmdline.startsWith("setsid\0")
                    && !cmdline.contains("\0baton-run\0");
        }).map(ProcessHandle::pid).toList();
    }

    /** The lab host whose network namespace {@code pid} is in, or "another namespace". */
    private String hostOf(long pid) {
        try {
            Object ns = Files.getAttribute(Path.of("/proc/" + pid + "/ns/net"), "unix:ino");
            for (NetnsLab.Host h : lab.hosts()) {
                if (ns.equals(Files.getAttribute(Path.of("/run/netns", h.nsName()), "unix:ino"))) return h.name();
            }
        } catch (IOException | RuntimeException gone) {
            return "(gone)";
        }
        return "another namespace";
    }

    private static String cmdline(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/cmdline"), StandardCharsets.ISO_8859_1);
        } catch (IOException | RuntimeException gone) {
            return "";
        }
    }

    /**
     * What a finished migration must not leave behind, as readable lines (empty when clean): hold or CRIU lock
     * tables in the namespaces of gw, a and b; anything in a's or b's images directory; the workload running other
     * than exactly once.
     */
    public List<String> leftovers() throws IOException {
        List<String> left = new ArrayList<>();
        for (String host : List.of("gw", "a", "b")) {
            String tables = lab.host(host).netns().exec(null, "nft", "list", "tables");
            var m = HOLD_OR_LOCK.matcher(tables);
            while (m.find()) left.add("nft table " + m.group() + " in " + host);
        }
        for (String host : List.of("a", "b")) {
            Path images = images(host);
            if (!Files.isDirectory(images)) continue;
            try (var files = Files.list(images)) {
                files.forEach(f -> left.add(host + "'s images: " + f.getFileName()));
            }
        }
        List<Long> running = workloadProcesses();
        if (running.size() != 1) {
            left.add("the workload runs as " + running.size() + " processes: " + running.stream()
                    .map(pid -> pid + " in " + hostOf(pid) + " (parent " + ProcessHandle.of(pid)
                            .flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L) + "): "
                            + cmdline(pid).replace('\0', ' ').trim())
                    .toList());
        }
        left.addAll(strayProcesses());
        return left;
    }

    /**
     * Processes in a's or b's namespace other than the workload (and its launcher) and the agents this stage
     * started: a CRIU left running, say.
     */
    private List<String> strayProcesses() throws IOException {
        List<Long> agentPids = agents.values().stream().filter(a -> a instanceof AgentProcess)
                .map(a -> ((AgentProcess) a).pid()).toList();
        List<String> stray = new ArrayList<>();
        for (String host : List.of("a", "b")) {
            Object ns = Files.getAttribute(Path.of("/run/netns", lab.host(host).nsName()), "unix:ino");
            ProcessHandle.allProcesses().forEach(p -> {
                try {
                    Object pns = Files.getAttribute(Path.of("/proc/" + p.pid() + "/ns/net"), "unix:ino");
                    String cmd = cmdline(p.pid());
                    if (pns.equals(ns) && !agentPids.contains(p.pid()) && !cmd.isEmpty()
                            && (workloadMarker == null || !cmd.contains(workloadMarker))) {
                        stray.add("process " + p.pid() + " in " + host + ": " + cmd.replace('\0', ' ').trim());
                    }
                } catch (IOException | RuntimeException gone) {
                    // ended meanwhile, or not ours to look at
                }
            });
        }
        return stray;
    }

    /** The workload's record on {@code host}. */
    public Workload workload(String host) {
        return workloads.get(host).get(WORKLOAD);
    }

    private InetSocketAddress agentInConfig(String host) {
        return agentsInConfig.getOrDefault(host, agentAddress(host));
    }

    public Path configFile() {
        return home.resolve("gw/gateway.json");
    }

    /** Writes the gateway's config (hosts a and b, service echo in front of the workload on a) and starts it. */
    public void startGateway() throws Exception {
        if (!Files.exists(configFile())) {
            Files.writeString(configFile(), """
                    {"keys": "%s",
                     "hosts": {"a": {"agent": "%s", "address": "%s", "netns": "%s"},
                               "b": {"agent": "%s", "address": "%s", "netns": "%s"}},
                     "services": [{"name": "echo", "listen": "%s", "workload": "%s", "host": "a", "port": %d}],
                     "state": "%s"}
                    """.formatted(home.resolve("gw/keys"), StateJson.format(agentInConfig("a")),
                    lab.host("a").address().getHostAddress(), lab.host("a").nsName(), StateJson.format(agentInConfig("b")),
                    lab.host("b").address().getHostAddress(), lab.host("b").nsName(), StateJson.format(service()), WORKLOAD, PORT,
                    home.resolve("gw/state.json")));
        }
        Path log = home.resolve("gw/gateway.log");
        long earlier = Files.exists(log) ? Files.size(log) : 0; // a restart appends to the log of the last run
        gateway = new ProcessBuilder(baton("gateway", "--config", configFile().toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!sinceOffset(log, earlier).contains("admin API on")) {
            if (!gateway.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the gateway did not start: " + Files.readString(log));
            }
            Thread.sleep(20);
        }
    }

    private static String sinceOffset(Path file, long offset) throws IOException {
        byte[] all = Files.readAllBytes(file);
        return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                StandardCharsets.UTF_8);
    }

    /** Stops the gateway process (SIGTERM: a graceful close) and waits for it. */
    public void stopGateway() throws InterruptedException {
        if (gateway == null) return;
        gateway.destroy();
        if (!gateway.waitFor(30, TimeUnit.SECONDS)) gateway.destroyForcibly().waitFor();
        gateway = null;
    }

    public String gatewayLog() throws IOException {
        return Files.readString(home.resolve("gw/gateway.log"));
    }

    /** {@code baton ARGS} as a process in the gateway's namespace, with this JVM's java and class path. */
    public List<String> baton(String... args) {
        return batonOn("gw", home.resolve("gw"), args);
    }

    /**
     * {@code baton ARGS} as a process in {@code host}'s namespace, {@code batonHome} its home. The gateway and the
     * agents get the whole JIT, as the {@code baton} launcher gives them (C1 alone lacks the AES-GCM and SHA-256
     * intrinsics of the bundles); commands that run once stop at C1, which starts them faster.
     */
    private List<String> batonOn(String host, Path batonHome, String... args) {
        boolean service = args[0].equals("agent") || args[0].equals("gateway");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC",
                service ? "-XX:+TieredCompilation" : "-XX:TieredStopAtLevel=1",
                "-Dbaton.home=" + batonHome,
                // the gateway's and the agents' own debug lines (why each flow ended, …) in their logs
                "-Dorg.slf4j.simpleLogger.log.dev.baton=debug",
                "-cp", System.getProperty("java.class.path"), Baton.class.getName()));
        Collections.addAll(cmd, args);
        return lab.host(host).command(cmd.toArray(String[]::new));
    }

    /** The gateway's flows, from its admin API. */
    public List<FlowView> flows() throws Exception {
        return admin(c -> c.get(AdminApi.FLOWS, new TypeReference<List<FlowView>>() {
        }));
    }

    /** The gateway's migrations, oldest first, from its admin API. */
    public List<MigrationView> migrations() throws Exception {
        return admin(c -> c.get(AdminApi.MIGRATIONS, new TypeReference<List<MigrationView>>() {
        }));
    }

    private interface AdminCall<T> {
        T call(AdminClient client) throws IOException;
    }

    /**
     * One call of the admin API, which listens on the gateway's loopback: made from a thread inside the gateway's
     * namespace, by a client made there (its threads are born there too).
     */
    private <T> T admin(AdminCall<T> call) throws Exception {
        ClusterKeys gw = ClusterKeys.load(home.resolve("gw/keys"));
        return lab.host("gw").netns().call(() -> {
            try (AdminClient client = AdminClient.create(ADMIN, gw)) {
                return call.call(client);
            }
        });
    }

    /** The outcome of {@code baton migrate}: its exit code, its JSON (when it printed one) and its error output. */
    public record Migrated(int exitCode, MigrationView view, String err) {
    }

    /** Runs {@code baton migrate --workload echo --to HOST --json} in the gateway's namespace. */
    public Migrated migrate(String to) throws Exception {
        Process p = new ProcessBuilder(baton("migrate", "--workload", WORKLOAD, "--to", to, "--json",
                "--keys", home.resolve("gw/keys").toString())).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) p.destroyForcibly();
        String text = new String(out, StandardCharsets.UTF_8).trim();
        MigrationView view = text.startsWith("{") ? JSON.readValue(text, MigrationView.class) : null;
        return new Migrated(p.exitValue(), view, err);
    }

    /**
     * Migrates the workload to {@code to} and returns the migration, which must have succeeded; prints its figures
     * (freeze, phases, flows, bytes held).
     */
    public MigrationView migrateOk(String to) throws Exception {
        Migrated m = migrate(to);
        if (m.exitCode() != 0 || m.view() == null || m.view().status() != MigrationView.Status.SUCCEEDED) {
            throw new AssertionError("migration to " + to + " did not succeed (exit " + m.exitCode() + "): " + m.err()
                    + " " + m.view() + "\n--- gateway log:\n" + gatewayLog());
        }
        System.out.println(figures(m.view()));
        return m.view();
    }

    /** {@code a -> b SUCCEEDED: freeze 123.4 ms (freeze 0.5, dump 80.1, …), 100 flows, 0 bytes held}. */
    public static String figures(MigrationView v) {
        StringBuilder s = new StringBuilder(v.from() + " -> " + v.to() + " " + v.status());
        if (v.result() != null) {
            StringBuilder phases = new StringBuilder();
            v.result().phasesMs().forEach((k, ms) -> phases.append(phases.isEmpty() ? "" : ", ")
                    .append(k).append(' ').append(String.format(Locale.ROOT, "%.1f", ms)));
            s.append(String.format(Locale.ROOT, ": freeze %.1f ms (%s), %d flows, %d bytes held",
                    v.result().freezeMs(), phases, v.result().flows(), v.result().heldBytes()));
        }
        if (v.error() != null) s.append(" — ").append(v.error());
        return s.toString();
    }

    /**
     * Runs {@code baton migrate --workload echo --to HOST} in the gateway's namespace as a user would, handing each
     * line it prints (its live progress, then its summary; errors too) to {@code lines}; returns its exit code.
     */
    public int migrateLive(String to, java.util.function.Consumer<String> lines) throws Exception {
        Process p = new ProcessBuilder(baton("migrate", "--workload", WORKLOAD, "--to", to,
                "--keys", home.resolve("gw/keys").toString())).redirectErrorStream(true).start();
        try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) lines.accept(line);
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) p.destroyForcibly();
        return p.exitValue();
    }

    /** An unmodified socat on the peer host, streaming {@code bytesPerSecond} to the service; its echo checked. */
    public StockPeer connectStockPeer(int bytesPerSecond) throws IOException {
        StockPeer peer = StockPeer.connect(lab.host("peer").netns(), service(), bytesPerSecond);
        closers.add(peer);
        return peer;
    }

    /** A checked peer on the peer host: it streams to the service and checks every byte of the echo. */
    public EndpointProcess connectPeer(int bytesPerSecond) throws Exception {
        EndpointProcess peer = EndpointProcess.start("peer", lab.host("peer").netns(), "connect",
                StateJson.format(service()), "--echo", "--rate", Integer.toString(bytesPerSecond));
        closers.add(peer);
        peer.await("CONNECTED", Duration.ofSeconds(20));
        return peer;
    }

    /**
     * What to read when a test fails: the gateway's log (without the admin API's access lines), the workload's
     * output on each host other than its ticks, and the agents' logs when they ran as processes.
     */
    public String diagnostics() {
        StringBuilder s = new StringBuilder();
        try {
            s.append("--- gateway log\n");
            gatewayLog().lines().filter(l -> !l.contains("admin API: ")).forEach(l -> s.append(l).append('\n'));
        } catch (IOException | RuntimeException e) {
            s.append("(no gateway log: ").append(e.getMessage()).append(")\n");
        }
        for (String host : List.of("a", "b")) {
            workloads.get(host).find(WORKLOAD).ifPresent(w -> {
                s.append("--- workload output on ").append(host).append('\n');
                ProcessMigrationScenario.outputOf(w).stream().filter(l -> !l.startsWith("tick "))
                        .forEach(l -> s.append(l).append('\n'));
            });
            Path agentLog = home.resolve(host + "/agent.log");
            if (Files.exists(agentLog)) {
                try {
                    s.append("--- agent log of ").append(host).append('\n').append(Files.readString(agentLog));
                } catch (IOException e) {
                    s.append("(agent log unreadable)\n");
                }
            }
        }
        return s.toString();
    }

    public void closeLater(AutoCloseable c) {
        closers.add(c);
    }

    @Override
    public void close() throws Exception {
        try {
            stopGateway();
            for (Workloads w : workloads.values()) {
                for (Workload each : w.list()) w.kill(each.name());
            }
            // a copy no record knows of (a restore whose agent died): ours, found by its command line
            for (long pid : workloadProcesses()) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            for (String host : List.copyOf(agents.keySet())) {
                try {
                    stopAgent(host);
                } catch (Exception e) {
                    // keep closing the rest
                }
            }
            List<AutoCloseable> reversed = new ArrayList<>(closers);
            Collections.reverse(reversed);
            for (AutoCloseable c : reversed) {
                try {
                    c.close();
                } catch (Exception e) {
                    // keep closing the rest
                }
            }
        } finally {
            // The hosts' images live outside the lab's home, in memory (BatonHome.images): delete them too.
            for (String host : List.of("a", "b")) ProcessMigrationScenario.deleteTree(images(host));
            lab.close();
        }
    }

    /**
     * Where {@code host}'s agent keeps its images: where {@code baton agent} with this lab's home for the host
     * keeps them ({@link BatonHome#defaultImages}, in memory when the machine has /dev/shm).
     */
    public Path images(String host) {
        return BatonHome.defaultImages(home.resolve(host));
    }
}
