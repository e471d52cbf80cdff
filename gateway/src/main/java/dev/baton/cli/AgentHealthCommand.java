package dev.baton.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.ckpt.agent.AgentClient;
import dev.baton.ckpt.agent.HostHealth;
import dev.baton.socket.StateJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;

/** {@code baton agent health --at ADDR [--json]}: how an agent's host is. Exit 1 when it reports problems. */
@Command(name = "health", description = "Ask an agent about its host: CRIU, kernel, problems. Exit code 1 when "
        + "it reports a problem.")
final class AgentHealthCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--at", required = true, paramLabel = "ADDR", converter = AddressConverter.class,
            description = "The agent's address (IP:PORT).")
    private InetSocketAddress at;

    @Mixin
    private AgentCaller caller;

    @Option(names = "--json", description = "JSON instead of text.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        HostHealth health = caller.call(at, "health check", AgentClient::health);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("host", health.host());
            o.put("address", StateJson.format(at));
            o.put("criu", health.criu());
            o.put("kernel", health.kernel());
            o.put("healthy", health.healthy());
            ArrayNode problems = o.putArray("problems");
            health.problems().forEach(problems::add);
            out.println(o.toPrettyString());
        } else {
            out.printf("host      %s at %s%n", health.host(), StateJson.format(at));
            out.printf("criu      %s%n", health.criu() == null ? "missing" : health.criu());
            out.printf("kernel    %s%n", health.kernel());
            out.printf("status    %s%n", health.healthy() ? "healthy" : health.problems().size() + " problem(s)");
            health.problems().forEach(p -> out.printf("  - %s%n", p));
        }
        out.flush();
        return health.healthy() ? 0 : 1;
    }
}
