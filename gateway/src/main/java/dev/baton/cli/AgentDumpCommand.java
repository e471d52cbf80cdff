package dev.baton.cli;

import dev.baton.ckpt.agent.DumpReport;
import dev.baton.ckpt.agent.DumpRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;

/**
 * {@code baton agent dump --at ADDR --name N --out FILE}: checkpoints a workload on an agent's host and writes its
 * bundle here. The file appears only when the dump succeeded; on failure the workload keeps running there.
 */
@Command(name = "dump", description = "Checkpoint a workload on an agent's host into a bundle file here, showing "
        + "its hooks and progress.")
final class AgentDumpCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--at", required = true, paramLabel = "ADDR", converter = AddressConverter.class,
            description = "The agent's address (IP:PORT).")
    private InetSocketAddress at;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "The workload's name there.")
    private String name;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The bundle file to write (must "
            + "not exist).")
    private Path out;

    @Option(names = "--network-lock-skip", description = "Leave its connections unlocked during the dump (something "
            + "else holds them).")
    private boolean networkLockSkip;

    @Mixin
    private AgentCaller caller;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(out)) throw new CommandFailure(out + " exists: remove it or choose another --out");
        PrintWriter pw = spec.commandLine().getOut();
        Path partial = out.resolveSibling(out.getFileName() + ".partial");
        DumpReport report;
        try (OutputStream bundle = new BufferedOutputStream(Files.newOutputStream(partial,
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 1 << 20)) {
            report = caller.call(at, "dump", agent -> agent.dump(new DumpRequest(name, networkLockSkip), bundle,
                    new LiveHooks(pw)));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Files.move(partial, out, StandardCopyOption.ATOMIC_MOVE);
        pw.printf("dumped %s (pid %d) into %s: %s; %s%n", report.workload(), report.pid(), out,
                LiveHooks.mib(Files.size(out)), LiveHooks.phases(report.phasesMs()));
        pw.flush();
        return 0;
    }
}
