package dev.baton.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.WorkloadStatus;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.socket.StateJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code baton ps [--json]}: the recorded workloads, running or not, with their listening ports. */
@Command(name = "ps", description = "List the workloads started with 'baton run' (or restored here).")
final class PsCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--json", description = "JSON array instead of a table.")
    private boolean json;

    @Override
    public Integer call() {
        Workloads workloads = Workloads.standard();
        print(workloads.list().stream().map(workloads::status).toList(), json, spec.commandLine().getOut());
        return 0;
    }

    /** Workloads as {@code baton ps} shows them (also {@code baton agent ps}): a table, or a JSON array. */
    static void print(List<WorkloadStatus> rows, boolean json, PrintWriter out) {
        if (json) {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            for (WorkloadStatus s : rows) {
                Workload w = s.workload();
                ObjectNode o = array.addObject();
                o.put("name", w.name());
                o.put("pid", w.rootPid());
                o.put("netns", w.netns());
                o.put("running", s.running());
                o.put("processes", s.processes());
                ArrayNode listening = o.putArray("listening");
                s.listening().forEach(a -> listening.add(StateJson.format(a)));
                o.put("established", s.established());
                ArrayNode cmd = o.putArray("command");
                w.command().forEach(cmd::add);
                o.put("started", w.started().toString());
            }
            out.println(array.toPrettyString());
        } else {
            String row = "%-20s %8s %-12s %-8s %5s %-24s %5s  %s%n";
            out.printf(row, "NAME", "PID", "NETNS", "STATE", "PROCS", "LISTENING", "CONNS", "COMMAND");
            for (WorkloadStatus s : rows) {
                Workload w = s.workload();
                out.printf(row, w.name(), w.rootPid(), w.netns() == null ? "-" : w.netns(),
                        s.running() ? "running" : "exited", s.processes(),
                        s.listening().isEmpty() ? "-"
                                : s.listening().stream().map(StateJson::format).collect(Collectors.joining(",")),
                        s.established(), String.join(" ", w.command()));
            }
        }
        out.flush();
    }
}
