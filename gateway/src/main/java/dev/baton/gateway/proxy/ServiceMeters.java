package dev.baton.gateway.proxy;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * One service's meters ({@code service} tag). Counted into adders on the data path (no meter lookup per read);
 * the registry reads them when scraped. Prometheus names: {@code baton_gateway_connections_active},
 * {@code baton_gateway_connections_total}, {@code baton_gateway_bytes_up_total},
 * {@code baton_gateway_bytes_down_total}, {@code baton_gateway_connect_failures_total},
 * {@code baton_gateway_idle_closes_total}, {@code baton_gateway_flows_waiting}, {@code baton_gateway_flows_frozen}.
 */
final class ServiceMeters {
    private final LongAdder accepted = new LongAdder();
    private final LongAdder up = new LongAdder();
    private final LongAdder down = new LongAdder();
    private final LongAdder connectFailures = new LongAdder();
    private final LongAdder idleCloses = new LongAdder();
    private final List<Meter> meters = new ArrayList<>();
    private final MeterRegistry registry;

    ServiceMeters(MeterRegistry registry, Service service) {
        this.registry = registry;
        Tags tags = Tags.of("service", service.name(), "workload", service.workload());
        meters.add(Gauge.builder("baton.gateway.connections.active", service, s -> s.flowCount())
                .tags(tags).description("Peer connections open now (every state but CLOSED)").register(registry));
        meters.add(FunctionCounter.builder("baton.gateway.connections", accepted, LongAdder::sum)
                .tags(tags).description("Peer connections accepted").register(registry));
        meters.add(FunctionCounter.builder("baton.gateway.bytes.up", up, LongAdder::sum)
                .tags(tags).description("Bytes read from peers").register(registry));
        meters.add(FunctionCounter.builder("baton.gateway.bytes.down", down, LongAdder::sum)
                .tags(tags).description("Bytes read from the workload").register(registry));
        meters.add(FunctionCounter.builder("baton.gateway.connect.failures", connectFailures, LongAdder::sum)
                .tags(tags).description("Connects to the workload that failed (the peer was closed)")
                .register(registry));
        meters.add(FunctionCounter.builder("baton.gateway.idle.closes", idleCloses, LongAdder::sum)
                .tags(tags).description("Flows closed by the idle timeout").register(registry));
        meters.add(Gauge.builder("baton.gateway.flows.waiting", service, s -> s.waitingCount())
                .tags(tags).description("Peer connections waiting for a migration to end").register(registry));
        meters.add(Gauge.builder("baton.gateway.flows.frozen", service, s -> s.count(Flow.State.FROZEN))
                .tags(tags).description("Flows frozen by a migration").register(registry));
    }

    void accepted() {
        accepted.increment();
    }

    void up(long bytes) {
        up.add(bytes);
    }

    void down(long bytes) {
        down.add(bytes);
    }

    void connectFailed() {
        connectFailures.increment();
    }

    void idleClosed() {
        idleCloses.increment();
    }

    long connectFailures() {
        return connectFailures.sum();
    }

    void remove() {
        meters.forEach(registry::remove);
    }
}
