package dev.baton.cli;

import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code baton stop NAME [--forget]}: ends a workload (SIGKILL to its PID namespace) and optionally its record. */
@Command(name = "stop", description = "End a workload (its whole PID namespace) and, with --forget, drop its record.")
final class StopCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "The workload.")
    private String name;

    @Option(names = "--forget", description = "Also delete its record (its logs stay).")
    private boolean forget;

    @Override
    public Integer call() throws Exception {
        Workloads workloads = Workloads.standard();
        Workload w = workloads.get(name);
        workloads.kill(name);
        for (int i = 0; i < 200 && Workloads.isRunning(w); i++) Thread.sleep(5);
        if (Workloads.isRunning(w)) throw new CommandFailure(name + " (PID " + w.rootPid() + ") did not exit");
        if (forget) workloads.forget(name);
        spec.commandLine().getOut().printf("%s stopped%s%n", name, forget ? " and forgotten" : "");
        spec.commandLine().getOut().flush();
        return 0;
    }
}
