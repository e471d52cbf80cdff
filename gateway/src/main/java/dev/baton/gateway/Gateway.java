package dev.baton.gateway;

import dev.baton.gateway.proxy.Flow;
import dev.baton.gateway.proxy.Proxy;
import dev.baton.gateway.proxy.Service;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The gateway: an L4 (TCP) proxy in front of the peers, like HAProxy in {@code mode tcp}. Peers connect to a
 * service's listen address; the gateway connects each of them on to the workload's current host and copies bytes
 * both ways (Netty, native epoll). A migration freezes, re-points and thaws its flows through {@link Service} and
 * {@link Flow}. Metrics are in a Prometheus registry, names {@code baton_gateway_*}.
 *
 * <pre>{@code
 * try (Gateway gateway = Gateway.start(GatewayConfig.load(Path.of("gateway.json")))) {
 *     Service echo = gateway.service("echo").orElseThrow();
 *     ...
 * }
 * }</pre>
 * The gateway lives in the network namespace of the thread that calls {@link #start}. Thread-safe.
 */
public final class Gateway implements AutoCloseable {
    private final Proxy proxy;
    private final PrometheusMeterRegistry metrics;

    private Gateway(Proxy proxy, PrometheusMeterRegistry metrics) {
        this.proxy = proxy;
        this.metrics = metrics;
    }

    /**
     * Binds every service's listen address and starts serving; new flows go to each workload's host as the state
     * file records it (the config's host when the file does not name one).
     *
     * @throws GatewayStartException a listen address is taken or not on this host (naming the service and the
     *                               address), the state file is unreadable, or epoll is unavailable; nothing is
     *                               left bound or running
     */
    public static Gateway start(GatewayConfig config) {
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try {
            return new Gateway(Proxy.start(config, metrics), metrics);
        } catch (RuntimeException e) {
            metrics.close();
            throw e;
        }
    }

    public GatewayConfig config() {
        return proxy.config();
    }

    /** The services, in config order. */
    public List<Service> services() {
        return proxy.services();
    }

    public Optional<Service> service(String name) {
        return proxy.services().stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** Every flow that is not closed yet, of every service, by id. */
    public List<Flow> flows() {
        return proxy.flows();
    }

    /** The registry the gateway's meters are in (a {@link PrometheusMeterRegistry}); add more meters to it. */
    public MeterRegistry metrics() {
        return metrics;
    }

    /** The metrics in the Prometheus text format, for a {@code /metrics} endpoint. */
    public String scrape() {
        return metrics.scrape();
    }

    /** Where each workload's current host is kept across restarts. */
    public Path stateFile() {
        return proxy.stateFile();
    }

    /**
     * Stops accepting, ends every flow (pending bytes get the drain timeout), releases the event loops.
     * Idempotent.
     */
    @Override
    public void close() {
        try {
            proxy.close();
        } finally {
            metrics.close();
        }
    }
}
