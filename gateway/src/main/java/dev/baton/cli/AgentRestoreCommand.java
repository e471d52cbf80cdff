package dev.baton.cli;

import dev.baton.ckpt.agent.RestoreReport;
import dev.baton.socket.StateJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code baton agent restore --at ADDR --in FILE [--rewrite OLD=NEW] [--netns NS]}: restores a bundle file there. */
@Command(name = "restore", description = "Restore a bundle file from here on an agent's host, showing its hooks "
        + "and progress.")
final class AgentRestoreCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--at", required = true, paramLabel = "ADDR", converter = AddressConverter.class,
            description = "The agent's address (IP:PORT).")
    private InetSocketAddress at;

    @Option(names = "--in", required = true, paramLabel = "FILE", description = "The bundle file.")
    private Path in;

    @Mixin
    private RestoreOptions restore;

    @Mixin
    private AgentCaller caller;

    @Override
    public Integer call() throws Exception {
        var request = restore.request();
        PrintWriter out = spec.commandLine().getOut();
        RestoreReport report;
        try (InputStream bundle = new BufferedInputStream(Files.newInputStream(in), 1 << 20)) {
            report = caller.call(at, "restore", agent -> agent.restore(request, bundle, new LiveHooks(out)));
        } catch (NoSuchFileException e) {
            throw new CommandFailure("no bundle file " + in);
        }
        out.printf("restored %s on %s as pid %d (%d socket(s) rewritten); %s%n", report.workload(),
                StateJson.format(at), report.pid(), report.rewrittenSockets(),
                LiveHooks.phases(report.phasesMs()));
        out.flush();
        return 0;
    }
}
