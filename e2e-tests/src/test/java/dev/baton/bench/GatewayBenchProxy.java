package dev.baton.bench;

import dev.baton.netns.Commands;
import dev.baton.netns.NetnsLab;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What sits between the benchmark's client and server: nothing ({@link Direct}), HAProxy in {@code mode tcp}
 * ({@link Haproxy}) or Baton's gateway ({@link Gateway}), each proxy a process of its own on the proxy host,
 * listening on proxy:port and forwarding to server:port.
 */
sealed interface GatewayBenchProxy extends AutoCloseable {
    /** The name in the tables. */
    String label();

    /** Where the client connects. */
    InetSocketAddress target();

    /** The proxy's process, whose memory is measured; null for {@link Direct}. */
    GatewayBenchProcess process();

    /** A JVM's heap is collected before its memory is read. */
    default boolean isJvm() {
        return false;
    }

    @Override
    default void close() throws InterruptedException {
        if (process() != null) process().close();
    }

    /** The client talks to the server itself: the baseline every proxy is set against. */
    record Direct(InetSocketAddress target) implements GatewayBenchProxy {
        @Override
        public String label() {
            return "direct";
        }

        @Override
        public GatewayBenchProcess process() {
            return null;
        }
    }

    /** HAProxy in {@code mode tcp}, in the foreground ({@code -db}), one thread per core. */
    record Haproxy(String label, InetSocketAddress target, GatewayBenchProcess process) implements GatewayBenchProxy {
        /** Starts HAProxy bound to {@code cpus} (null: all), with one thread per CPU it may use. */
        static Haproxy start(NetnsLab.Host host, String cpus, InetSocketAddress listen, InetSocketAddress server,
                             Path dir) throws IOException {
            Path config = dir.resolve("haproxy.cfg");
            Files.writeString(config, config(listen, server, GatewayBenchProcess.cpuCount(cpus)));
            GatewayBenchProcess p = GatewayBenchProcess.program("haproxy", host.netns(), cpus,
                    List.of("haproxy", "-db", "-f", config.toString()), Map.of(), dir.resolve("haproxy.log"));
            return new Haproxy(version(), listen, p);
        }

        /**
         * maxconn 20000 everywhere (a frontend's own default is far lower). HAProxy would like 2 × maxconn fds;
         * the limit here is 20,000 and cannot be raised, which by default ({@code strict-limits}) makes HAProxy
         * refuse to start: {@code no strict-limits} lets it run with the fds it has, as a proxy on this machine
         * would (the connections measured stay below what they allow).
         */
        static String config(InetSocketAddress listen, InetSocketAddress server, int threads) {
            return """
                    global
                        nbthread %d
                        maxconn 20000
                        no strict-limits
                    defaults
                        mode tcp
                        maxconn 20000
                        timeout connect 5s
                        timeout client 1h
                        timeout server 1h
                    frontend bench
                        bind %s:%d backlog 8192
                        default_backend server
                    backend server
                        server s %s:%d
                    """.formatted(threads, listen.getAddress().getHostAddress(), listen.getPort(),
                    server.getAddress().getHostAddress(), server.getPort());
        }

        /** "HAProxy 2.6.12-1+deb12u4 mode tcp", from {@code haproxy -v}. */
        static String version() {
            String out = Commands.run(List.of("haproxy", "-v"), null);
            Matcher m = Pattern.compile("version (\\S+)").matcher(out);
            return "HAProxy " + (m.find() ? m.group(1) : "?") + " mode tcp";
        }
    }

    /** Baton's gateway: {@code baton gateway --config FILE}, run as the {@code baton} script runs the CLI. */
    record Gateway(InetSocketAddress target, GatewayBenchProcess process) implements GatewayBenchProxy {
        /** Extra JVM options for the gateway, split at spaces (e.g. "-Xmx256m -XX:+UseSerialGC"). */
        static final String OPTIONS_ENV = "BENCH_GATEWAY_JAVA_OPTS";
        /** The built CLI jar ({@code gateway/target/baton.jar}); scripts/bench-gateway.sh sets it. */
        static final String JAR_PROPERTY = "bench.batonJar";

        @Override
        public String label() {
            return "Baton gateway";
        }

        @Override
        public boolean isJvm() {
            return true;
        }

        /** Whether this build's CLI has {@code baton gateway}. */
        static boolean available() {
            return dev.baton.cli.Baton.commandLine().getSubcommands().containsKey("gateway");
        }

        /**
         * Creates cluster keys in a fresh BATON_HOME under {@code dir} (the admin API needs them), writes the
         * config and starts the gateway bound to {@code cpus} (null: all).
         */
        static Gateway start(NetnsLab.Host host, String cpus, InetSocketAddress listen, InetSocketAddress server,
                             Path dir) throws IOException {
            Path home = Files.createDirectories(dir.resolve("baton-home"));
            Map<String, String> env = Map.of("BATON_HOME", home.toString());
            if (!Files.exists(home.resolve("keys"))) {
                ProcessBuilder keys = new ProcessBuilder(baton("keys", "init", "--host", "gateway"))
                        .redirectErrorStream(true).redirectOutput(dir.resolve("keys.log").toFile());
                keys.environment().putAll(env);
                try {
                    int exit = keys.start().waitFor();
                    if (exit != 0) {
                        throw new IOException("baton keys init failed (exit " + exit + "): "
                                + Files.readString(dir.resolve("keys.log")).strip());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted in baton keys init", e);
                }
            }
            Path config = dir.resolve("gateway.json");
            Files.writeString(config, config(listen, server));
            GatewayBenchProcess p = GatewayBenchProcess.program("gateway", host.netns(), cpus,
                    baton("gateway", "--config", config.toString()), env, dir.resolve("gateway.log"));
            return new Gateway(listen, p);
        }

        /** The gateway's config: one service, listen → the server host's port. Kept here alone to adjust. */
        static String config(InetSocketAddress listen, InetSocketAddress server) {
            String serverIp = server.getAddress().getHostAddress();
            return """
                    {"admin": "127.0.0.1:0",
                     "hosts": {"s": {"agent": "%s:7441", "address": "%s"}},
                     "services": [{"name": "bench", "listen": "%s:%d", "workload": "bench", "host": "s", "port": %d}],
                     "timeouts": {"connect": "5s", "idle": "1h"}}
                    """.formatted(serverIp, serverIp, listen.getAddress().getHostAddress(), listen.getPort(),
                    server.getPort());
        }

        /**
         * {@code baton ARGS} as the {@code baton} script runs it: this JDK, native access, {@code -jar baton.jar}
         * when the system property {@value #JAR_PROPERTY} names a built one, else the CLI's main class on this
         * class path.
         */
        private static List<String> baton(String... args) {
            List<String> cmd = new ArrayList<>(List.of(GatewayBenchProcess.javaCommand(),
                    "--enable-native-access=ALL-UNNAMED"));
            String extra = System.getenv(OPTIONS_ENV);
            if (extra != null && !extra.isBlank()) cmd.addAll(List.of(extra.trim().split("\\s+")));
            String jar = System.getProperty(JAR_PROPERTY);
            if (jar != null && Files.isRegularFile(Path.of(jar))) {
                cmd.addAll(List.of("-jar", jar));
            } else {
                cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), dev.baton.cli.Baton.class.getName()));
            }
            cmd.addAll(List.of(args));
            return cmd;
        }
    }
}
