package dev.baton.cli;

import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.gateway.GatewayConfig;
import dev.baton.gateway.GatewayConfigException;
import dev.baton.gateway.GatewayServer;
import dev.baton.gateway.GatewayStartException;
import dev.baton.gateway.proxy.Service;
import dev.baton.socket.StateJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;

/**
 * {@code baton gateway --config FILE}: runs the gateway until SIGTERM; its subcommands ask a running gateway
 * over its admin API.
 */
@Command(name = "gateway", description = {
        "Run the gateway (--config FILE), or ask a running one (subcommands).",
        "The gateway is the L4 proxy in front of the workloads that keeps their peers'",
        "connections through migrations. Its admin API listens on loopback",
        "(127.0.0.1:7440) unless the config says otherwise; the subcommands call it",
        "over mutual TLS (certificates from 'baton keys')."},
        subcommands = {GatewayServicesCommand.class, GatewayFlowsCommand.class, GatewayMigrationsCommand.class})
final class GatewayCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE",
            description = "The gateway's configuration: services, workloads, hosts, admin address.")
    private Path config;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (config == null) {
            throw new CommandFailure("give the gateway's configuration with --config FILE, or a subcommand to ask a "
                    + "running gateway (baton gateway --help)");
        }
        GatewayConfig cfg;
        try {
            cfg = GatewayConfig.load(config);
        } catch (GatewayConfigException e) {
            throw new CommandFailure(config + ": " + e.getMessage(), e);
        }
        ClusterKeys keys = HostKeys.load(cfg.keys());
        GatewayServer server;
        try {
            server = GatewayServer.start(cfg, keys);
        } catch (GatewayStartException e) {
            throw new CommandFailure(e.getMessage(), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("gateway shutdown").unstarted(() -> {
            server.close();
            stopped.countDown();
        }));
        PrintWriter out = spec.commandLine().getOut();
        for (Service s : server.gateway().services()) {
            out.printf("service %s listening on %s -> %s on %s (%s)%n", s.name(), StateJson.format(s.listen()),
                    s.workload(), s.host(), StateJson.format(s.target()));
        }
        out.printf("admin API on %s (mutual TLS, gateway identity %s)%n", StateJson.format(server.adminAddress()),
                keys.hostName());
        out.flush();
        stopped.await();
        return 0;
    }
}
