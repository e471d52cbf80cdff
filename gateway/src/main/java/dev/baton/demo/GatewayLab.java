package dev.baton.demo;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.baton.ckpt.Checkpointer;
import dev.baton.ckpt.agent.AgentServer;
import dev.baton.ckpt.bundle.BundleWriter;
import dev.baton.ckpt.criu.CriuLaunch;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.cli.Baton;
import dev.baton.gateway.migrate.MigrationView;
import dev.baton.netns.NetnsLab;
import dev.baton.socket.StateJson;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's lab, used by act 3 of the demo, the end-to-end tests and the migration benchmark: a peer host, the gateway's host, and hosts a and b with an agent each (in this JVM, each in its
 * namespace, with its own workloads and images), all in 198.18.0.0/15. The gateway runs as {@code baton gateway
 * --config FILE} in its namespace, a separate process as in production; {@code baton migrate} runs there too,
 * against the gateway's loopback admin API. The workload is EchoCounter on a, behind service "echo" on the
 * gateway's port {@link #SERVICE_PORT}.
 */
public final class GatewayLab implements AutoCloseable {
    public static final int SERVICE_PORT = 9000;
    public static final int PORT = ProcessMigrationScenario.PORT;
    public static final String WORKLOAD = "echo";
    private static final int AGENT_PORT = 7441;
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public final NetnsLab lab;
    public final Path home;
    public final Map<String, Workloads> workloads;
    private final List<AutoCloseable> closers = new ArrayList<>();
    private final ClusterKeys ca;
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
            s.agent("a", s.ca);
            s.agent("b", ClusterKeys.issue(home.resolve("ca"), "b", home.resolve("b/keys")));
            return s;
        } catch (Exception | Error e) {
            if (s != null) s.close();
            else lab.close();
            throw e;
        }
    }

    private void agent(String host, ClusterKeys keys) throws Exception {
        Checkpointer ckpt = new Checkpointer(workloads.get(host), keys, home.resolve(host + "/images"), CriuLaunch.defaults());
        closers.add(AgentServer.start(agentAddress(host), keys, ckpt,
                AgentServer.Options.defaults().inNetns(lab.host(host).netns())));
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
        return workloads.get("a").start(WORKLOAD, command, lab.host("a").nsName());
    }

    /** The workload's record on {@code host}. */
    public Workload workload(String host) {
        return workloads.get(host).get(WORKLOAD);
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
                    """.formatted(home.resolve("gw/keys"), StateJson.format(agentAddress("a")),
                    lab.host("a").address().getHostAddress(), lab.host("a").nsName(), StateJson.format(agentAddress("b")),
                    lab.host("b").address().getHostAddress(), lab.host("b").nsName(), StateJson.format(service()), WORKLOAD, PORT,
                    home.resolve("gw/state.json")));
        }
        Path log = home.resolve("gw/gateway.log");
        gateway = new ProcessBuilder(baton("gateway", "--config", configFile().toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.readString(log).contains("admin API on")) {
            if (!gateway.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the gateway did not start: " + Files.readString(log));
            }
            Thread.sleep(20);
        }
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
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dbaton.home=" + home.resolve("gw"),
                "-cp", System.getProperty("java.class.path"), Baton.class.getName()));
        Collections.addAll(cmd, args);
        return lab.host("gw").command(cmd.toArray(String[]::new));
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

    /** The gateway's migrations so far ({@code baton gateway migrations --json}), oldest first. */
    public List<MigrationView> migrations() throws Exception {
        Process p = new ProcessBuilder(baton("gateway", "migrations", "--json",
                "--keys", home.resolve("gw/keys").toString())).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
        return JSON.readValue(out, new com.fasterxml.jackson.core.type.TypeReference<List<MigrationView>>() { });
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
            lab.close();
        }
    }
}
