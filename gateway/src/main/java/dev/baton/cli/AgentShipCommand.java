package dev.baton.cli;

import dev.baton.ckpt.agent.DumpRequest;
import dev.baton.ckpt.agent.ShipReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;

/**
 * {@code baton agent ship --from ADDR --name N --to ADDR}: the agent at {@code --from} dumps the workload and
 * streams its bundle straight into a restore on the agent at {@code --to}; hooks and progress of both print here.
 */
@Command(name = "ship", description = "Move a workload from one agent's host to another's: dump there, stream the "
        + "bundle agent to agent, restore. Shows the hooks and progress of both.")
final class AgentShipCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "ADDR", converter = AddressConverter.class,
            description = "The source agent's address (IP:PORT).")
    private InetSocketAddress from;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "The workload's name there.")
    private String name;

    @Option(names = "--to", required = true, paramLabel = "ADDR", converter = AddressConverter.class,
            description = "The target agent's address, as the source reaches it (IP:PORT).")
    private InetSocketAddress to;

    @Option(names = "--network-lock-skip", description = "Leave its connections unlocked during the dump (something "
            + "else holds them).")
    private boolean networkLockSkip;

    @Mixin
    private RestoreOptions restore;

    @Mixin
    private AgentCaller caller;

    @Override
    public Integer call() throws Exception {
        var request = restore.request();
        PrintWriter out = spec.commandLine().getOut();
        ShipReport report = caller.call(from, "ship", source -> source.ship(new DumpRequest(name, networkLockSkip), to,
                request, new LiveHooks(out)));
        out.printf("shipped %s from %s to %s: %s, restored as pid %d (%d socket(s) rewritten)%n", name,
                report.source(), report.target(), LiveHooks.mib(report.bytes()), report.restore().pid(),
                report.restore().rewrittenSockets());
        out.printf("  %s%n", LiveHooks.phases(report.phasesMs()));
        out.flush();
        return 0;
    }
}
