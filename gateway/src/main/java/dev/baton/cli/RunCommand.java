package dev.baton.cli;

import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code baton run [--name N] [--netns NS] -- CMD…}: starts a migratable workload, detached. */
@Command(name = "run", description = {
        "Start a command as a migratable workload: in a PID and mount namespace of its own, detached from the",
        "terminal, stdio to files under the state directory. Prints its name and root PID."})
final class RunCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--name", paramLabel = "NAME", description = "Unique name (default: from the command).")
    private String name;

    @Option(names = "--netns", paramLabel = "NS", description = "Run in this named network namespace (ip netns).")
    private String netns;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
    private List<String> command;

    @Override
    public Integer call() {
        Privileges.requireRoot("run", "it makes PID and mount namespaces");
        Workloads workloads = Workloads.standard();
        Workload w = workloads.start(name, command, netns);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%s running as PID %d%s; output in %s%n", w.name(), w.rootPid(),
                w.netns() == null ? "" : " in netns " + w.netns(), w.stdout().getParent());
        out.flush();
        return 0;
    }
}
