package dev.baton.gateway;

import dev.baton.ckpt.BatonHome;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What the gateway serves, read from a JSON file:
 * <pre>{@code
 * {"admin": "127.0.0.1:7440",
 *  "keys": null,
 *  "hosts": {"a": {"agent": "198.18.5.2:7441", "address": "198.18.5.2"},
 *            "b": {"agent": "198.18.5.3:7441", "address": "198.18.5.3"}},
 *  "services": [{"name": "echo", "listen": "198.18.5.1:9000", "workload": "echo", "host": "a", "port": 7000}],
 *  "timeouts": {"connect": "5s", "idle": "1h", "drain": "30s"},
 *  "state": null}
 * }</pre>
 * Peers connect to a service's {@code listen} address; the gateway connects them on to port {@code port} of the
 * host its workload is on (first {@code host}, later wherever a migration moved it: see {@link #state()}).
 * Addresses are IP literals with a port ({@code 198.18.5.1:9000}, {@code [::1]:9000}); no name is ever resolved.
 * A listen address off loopback is allowed: naming it in the config is the explicit opt-in. Port 0 listens on a
 * port the kernel picks (tests).
 *
 * <p>Defaults: {@code admin} 127.0.0.1:7440; {@code keys} {@code $BATON_HOME/keys}; {@code state}
 * {@code $BATON_HOME/gateway/state.json}; timeouts 5s (connect), 1h (idle), 30s (drain). The record always
 * holds the resolved values. Invalid input fails with a {@link GatewayConfigException} naming the field.
 *
 * @param admin    where the admin API listens
 * @param keys     the cluster key directory (CA, this gateway's certificate)
 * @param hosts    the hosts a workload can run on, by name, in file order
 * @param services the services, in file order
 * @param timeouts connect, idle and drain timeouts
 * @param state    the file where the gateway keeps each workload's current host across restarts
 */
public record GatewayConfig(InetSocketAddress admin, Path keys, Map<String, HostConfig> hosts,
                            List<ServiceConfig> services, Timeouts timeouts, Path state) {
    static final InetSocketAddress DEFAULT_ADMIN = new InetSocketAddress(InetAddress.getLoopbackAddress(), 7440);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    /**
     * One host: its agent's address (the admin side talks to it), the address its workloads are reached at, and
     * optionally the named network namespace on that host its workloads run in (restores go there; null: the
     * agent's own).
     */
    public record HostConfig(InetSocketAddress agent, InetAddress address, String netns) {
        public HostConfig {
            Objects.requireNonNull(agent, "agent");
            Objects.requireNonNull(address, "address");
        }

        public HostConfig(InetSocketAddress agent, InetAddress address) {
            this(agent, address, null);
        }
    }

    /**
     * One service: peers connect to {@code listen}; the gateway connects them on to {@code port} on the host where
     * {@code workload} runs ({@code host} until a migration moves it).
     */
    public record ServiceConfig(String name, InetSocketAddress listen, String workload, String host, int port) {
    }

    /**
     * @param connect how long a connect to the workload may take before the peer is closed
     * @param idle    how long a flow may carry no byte either way before it is closed (never while frozen)
     * @param drain   on close, how long pending bytes may take to reach their side before the sockets close
     */
    public record Timeouts(Duration connect, Duration idle, Duration drain) {
        private static final Duration DEFAULT_CONNECT = Duration.ofSeconds(5);
        private static final Duration DEFAULT_IDLE = Duration.ofHours(1);
        private static final Duration DEFAULT_DRAIN = Duration.ofSeconds(30);
        /** 5s to connect, 1h idle, 30s to drain. */
        public static final Timeouts DEFAULT = new Timeouts(null, null, null);

        /** A null field takes its default. */
        public Timeouts {
            connect = positive("timeouts.connect", connect, DEFAULT_CONNECT);
            idle = positive("timeouts.idle", idle, DEFAULT_IDLE);
            drain = positive("timeouts.drain", drain, DEFAULT_DRAIN);
        }

        private static Duration positive(String field, Duration d, Duration fallback) {
            if (d == null) return fallback;
            if (d.isNegative() || d.isZero()) {
                throw new GatewayConfigException(field, "must be positive, not " + Durations.format(d));
            }
            return d;
        }
    }

    /** Fills in the defaults and checks the fields together; see the class comment. */
    public GatewayConfig {
        if (admin == null) admin = DEFAULT_ADMIN;
        if (keys == null) keys = BatonHome.resolve("keys");
        if (state == null) state = BatonHome.resolve("gateway").resolve("state.json");
        if (timeouts == null) timeouts = Timeouts.DEFAULT;
        hosts = Collections.unmodifiableMap(new LinkedHashMap<>(hosts == null ? Map.of() : hosts));
        services = List.copyOf(services == null ? List.of() : services);
        checkHosts(hosts);
        checkServices(services, hosts);
    }

    private static void checkHosts(Map<String, HostConfig> hosts) {
        hosts.forEach((name, host) -> {
            if (name == null || !NAME.matcher(name).matches()) {
                throw new GatewayConfigException("hosts", "\"" + name + "\" is not a host name (letters, digits, . _ -)");
            }
            if (host == null) throw new GatewayConfigException("hosts." + name, "missing");
        });
    }

    private static void checkServices(List<ServiceConfig> services, Map<String, HostConfig> hosts) {
        Map<String, Integer> names = new HashMap<>();
        Map<InetSocketAddress, Integer> listens = new HashMap<>();
        Map<String, Integer> workloads = new HashMap<>();
        for (int i = 0; i < services.size(); i++) {
            ServiceConfig s = services.get(i);
            String at = "services[" + i + "]";
            if (s == null) throw new GatewayConfigException(at, "missing");
            if (s.name() == null || !NAME.matcher(s.name()).matches()) {
                throw new GatewayConfigException(at + ".name", s.name() == null ? "missing"
                        : "\"" + s.name() + "\" is not a service name (letters, digits, . _ -)");
            }
            Integer same = names.putIfAbsent(s.name(), i);
            if (same != null) {
                throw new GatewayConfigException(at + ".name", "\"" + s.name() + "\" is also services[" + same + "]");
            }
            if (s.listen() == null) throw new GatewayConfigException(at + ".listen", "missing");
            if (s.listen().getPort() != 0) {
                same = listens.putIfAbsent(s.listen(), i);
                if (same != null) {
                    throw new GatewayConfigException(at + ".listen", Addresses.format(s.listen())
                            + " is also the listen address of services[" + same + "] \""
                            + services.get(same).name() + "\"");
                }
            }
            if (s.workload() == null || !NAME.matcher(s.workload()).matches()) {
                throw new GatewayConfigException(at + ".workload", s.workload() == null ? "missing"
                        : "\"" + s.workload() + "\" is not a workload name (letters, digits, . _ -)");
            }
            if (s.host() == null) throw new GatewayConfigException(at + ".host", "missing");
            if (!hosts.containsKey(s.host())) {
                throw new GatewayConfigException(at + ".host", "unknown host \"" + s.host() + "\" (hosts: "
                        + String.join(", ", hosts.keySet()) + ")");
            }
            // A workload is in one place: services of one workload (one per port) start on the same host.
            same = workloads.putIfAbsent(s.workload(), i);
            if (same != null && !services.get(same).host().equals(s.host())) {
                throw new GatewayConfigException(at + ".host", "workload \"" + s.workload() + "\" is on host \""
                        + services.get(same).host() + "\" in services[" + same + "]");
            }
            if (s.port() < 1 || s.port() > 65535) {
                throw new GatewayConfigException(at + ".port", s.port() + " is not a port (1-65535)");
            }
        }
    }

    /** The service named {@code name}. */
    public ServiceConfig service(String name) {
        for (ServiceConfig s : services) {
            if (s.name().equals(name)) return s;
        }
        throw new IllegalArgumentException("no service \"" + name + "\" in the config");
    }

    /** Reads and checks a config file. */
    public static GatewayConfig load(Path file) {
        String json;
        try {
            json = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new GatewayConfigException("", "config file " + file + " does not exist", e);
        } catch (IOException e) {
            throw new GatewayConfigException("", "cannot read config file " + file + ": " + e.getMessage(), e);
        }
        try {
            return parse(json);
        } catch (GatewayConfigException e) {
            throw new GatewayConfigException(e.field(), e.getMessage() + " (in " + file + ")", e);
        }
    }

    /** Parses and checks a config in JSON. */
    public static GatewayConfig parse(String json) {
        return ConfigJson.read(json);
    }

    /** This config as JSON, in the file format ({@link #parse} reads it back to an equal record). */
    public String toJson() {
        return ConfigJson.write(this);
    }
}
