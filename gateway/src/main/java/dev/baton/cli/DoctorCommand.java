package dev.baton.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.baton.socket.StateJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code baton doctor [--json]}: what Baton needs on this machine, what is missing, and what to do about it. */
@Command(name = "doctor", description = "Check this machine for what Baton needs. Exit code 1 if anything fails.")
final class DoctorCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--json", description = "JSON array of {name, status, detail, fix}.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        List<Check> checks;
        try (ScratchNetns scratch = ScratchNetns.create()) {
            checks = new Checks(scratch).all();
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(StateJson.mapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(checks));
        } else {
            int width = checks.stream().mapToInt(c -> c.name().length()).max().orElse(0);
            for (Check c : checks) {
                out.printf("%-4s  %-" + width + "s  %s%n", c.status(), c.name(), c.detail());
                if (c.fix() != null) out.printf("      %" + width + "s  fix: %s%n", "", c.fix());
            }
        }
        out.flush();
        return checks.stream().anyMatch(c -> c.status() == Check.Status.FAIL) ? 1 : 0;
    }
}
