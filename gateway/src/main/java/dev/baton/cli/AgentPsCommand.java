package dev.baton.cli;

import dev.baton.ckpt.agent.AgentClient;
import dev.baton.ckpt.agent.AgentException;
import dev.baton.ckpt.workload.WorkloadStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code baton agent ps --at ADDR [--json]}: the workloads recorded on an agent's host, as {@code baton ps}. */
@Command(name = "ps", description = "List the workloads recorded on an agent's host.")
final class AgentPsCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--at", required = true, paramLabel = "ADDR", converter = AddressConverter.class,
            description = "The agent's address (IP:PORT).")
    private InetSocketAddress at;

    @Option(names = "--keys", paramLabel = "DIR", description = HostKeys.HELP)
    private Path keysDir;

    @Option(names = "--json", description = "JSON array instead of a table (the fields of 'baton ps --json').")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        List<WorkloadStatus> rows;
        try (AgentClient agent = AgentClient.connect(at, HostKeys.load(keysDir))) {
            rows = agent.workloads();
        } catch (AgentException e) {
            throw new CommandFailure("listing workloads failed on " + e.host() + ": " + e.remoteMessage(), e);
        }
        PsCommand.print(rows, json, spec.commandLine().getOut());
        return 0;
    }
}
