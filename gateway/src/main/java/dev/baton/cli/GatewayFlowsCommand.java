package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.gateway.admin.AdminApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** {@code baton gateway flows [--service S] [--json]}: the connections through the gateway, as it reports them. */
@Command(name = "flows", description = "List the connections through a running gateway (each peer's flow to its "
        + "workload: state, bytes, age).")
final class GatewayFlowsCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--service", paramLabel = "NAME", description = "Only the flows of this service.")
    private String service;

    @Mixin
    private AdminCaller caller;

    @Option(names = "--json", description = "The gateway's JSON array instead of a table.")
    private boolean json;

    @Override
    public Integer call() {
        String path = AdminApi.FLOWS + (service == null ? ""
                : "?service=" + URLEncoder.encode(service, StandardCharsets.UTF_8));
        JsonNode flows = caller.call("listing flows", gateway -> gateway.get(path, JsonNode.class));
        GatewayCommands.print(flows, json, service == null ? "no flows" : "no flows of service " + service,
                spec.commandLine().getOut());
        return 0;
    }
}
