package dev.baton.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.ckpt.agent.AgentClient;
import dev.baton.ckpt.agent.AgentException;
import dev.baton.ckpt.agent.HostHealth;
import dev.baton.socket.StateJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
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

    @Option(names = "--keys", paramLabel = "DIR", description = HostKeys.HELP)
    private Path keysDir;

    @Option(names = "--json", description = "JSON instead of text.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        HostHealth health;
        try (AgentClient agent = AgentClient.connect(at, HostKeys.load(keysDir))) {
            health = agent.health();
        } catch (AgentException e) {
            throw new CommandFailure("health check failed on " + e.host() + ": " + e.remoteMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode o = StateJson.mapper().createObjectNode();
            o.put("host", health.host());
            o.put("address", StateJson.format(at));
            o.put("criu", health.criu());
            o.put("kernel", health.kernel());
            o.put("healthy", health.healthy());
            health.problems().forEach(o.putArray("problems")::add);
            if (health.problems().isEmpty()) o.putArray("problems");
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
