package dev.baton.gateway;

import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.gateway.admin.AdminApi;
import dev.baton.gateway.admin.AdminServer;
import dev.baton.gateway.migrate.Migrator;
import dev.baton.gateway.proxy.FlowView;
import dev.baton.gateway.proxy.Service;
import dev.baton.gateway.proxy.ServiceView;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code baton gateway --config FILE} runs: the proxy ({@link Gateway}), the migrations ({@link Migrator}) and
 * the admin API over mutual TLS in front of both. Closing stops them in the reverse order.
 */
public final class GatewayServer implements AutoCloseable {
    private final Gateway gateway;
    private final Migrator migrator;
    private final AdminServer admin;

    private GatewayServer(Gateway gateway, Migrator migrator, AdminServer admin) {
        this.gateway = gateway;
        this.migrator = migrator;
        this.admin = admin;
    }

    /** One workload as the admin API shows it: where it runs and the services and flows in front of it. */
    public record WorkloadView(String workload, String host, List<String> services, int flows) {
    }

    /**
     * Starts the gateway of {@code config} with this host's cluster {@code keys}.
     *
     * @throws GatewayStartException a listen address or the admin address cannot be bound; nothing stays bound
     */
    public static GatewayServer start(GatewayConfig config, ClusterKeys keys) {
        Gateway gateway = Gateway.start(config);
        Migrator migrator = new Migrator(gateway, keys, config.state().resolveSibling("migrations"));
        try {
            AdminServer admin = AdminServer.start(config.admin(), keys.tlsContext(), AdminApi.routes(keys.hostName(),
                    () -> gateway.services().stream().map(ServiceView::of).toList(),
                    service -> gateway.flows().stream()
                            .filter(f -> service.isEmpty() || f.service().name().equals(service.get()))
                            .map(FlowView::of).toList(),
                    () -> workloads(gateway),
                    migrator,
                    gateway::scrape));
            return new GatewayServer(gateway, migrator, admin);
        } catch (IOException | RuntimeException e) {
            migrator.close();
            gateway.close();
            throw new GatewayStartException("cannot start the admin API on " + config.admin() + ": " + e.getMessage(), e);
        }
    }

    private static List<WorkloadView> workloads(Gateway gateway) {
        Map<String, List<Service>> byWorkload = new LinkedHashMap<>();
        for (Service s : gateway.services()) byWorkload.computeIfAbsent(s.workload(), k -> new java.util.ArrayList<>()).add(s);
        return byWorkload.entrySet().stream().map(e -> new WorkloadView(e.getKey(), e.getValue().getFirst().host(),
                e.getValue().stream().map(Service::name).toList(),
                e.getValue().stream().mapToInt(s -> s.flows().size()).sum())).toList();
    }

    public Gateway gateway() {
        return gateway;
    }

    public Migrator migrations() {
        return migrator;
    }

    public InetSocketAddress adminAddress() {
        return admin.address();
    }

    /** Stops the admin API, waits for running migrations to end, then closes the proxy. */
    @Override
    public void close() {
        try {
            admin.close();
        } finally {
            try {
                migrator.close();
            } finally {
                gateway.close();
            }
        }
    }
}
