package dev.baton.cli;

import dev.baton.ckpt.agent.AgentClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.net.InetSocketAddress;
import java.util.concurrent.Callable;

/** {@code baton agent ps --at ADDR [--json]}: the workloads recorded on an agent's host, as {@code baton ps}. */
@Command(name = "ps", description = "List the workloads recorded on an agent's host.")
final class AgentPsCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--at", required = true, paramLabel = "ADDR", converter = AddressConverter.class,
            description = "The agent's address (IP:PORT).")
    private InetSocketAddress at;

    @Mixin
    private AgentCaller caller;

    @Option(names = "--json", description = "JSON array instead of a table (the fields of 'baton ps --json').")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        PsCommand.print(caller.call(at, "listing workloads", AgentClient::workloads), json, spec.commandLine().getOut());
        return 0;
    }
}
