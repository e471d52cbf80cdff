package dev.baton.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code baton gateway --config FILE}: runs the gateway (not wired yet); its subcommands ask a running gateway
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

    @Override
    public Integer call() {
        throw new CommandFailure("not wired yet: running the gateway comes with the proxy; 'baton gateway services', "
                + "'flows' and 'migrations' ask a running one");
    }
}
