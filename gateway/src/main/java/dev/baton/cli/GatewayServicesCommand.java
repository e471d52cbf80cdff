package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.gateway.admin.AdminApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code baton gateway services [--json]}: the gateway's services, as it reports them. */
@Command(name = "services", description = "List the services of a running gateway: where each listens, which "
        + "workload it leads to.")
final class GatewayServicesCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private AdminCaller caller;

    @Option(names = "--json", description = "The gateway's JSON array instead of a table.")
    private boolean json;

    @Override
    public Integer call() {
        JsonNode services = caller.call("listing services", gateway -> gateway.get(AdminApi.SERVICES, JsonNode.class));
        GatewayCommands.print(services, json, "no services", spec.commandLine().getOut());
        return 0;
    }
}
