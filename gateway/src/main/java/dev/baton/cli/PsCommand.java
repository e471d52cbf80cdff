package dev.baton.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
    public Integer call() throws Exception {
        Workloads workloads = Workloads.standard();
        List<WorkloadStatus> rows = workloads.list().stream().map(workloads::status).toList();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ArrayNode array = mapper.createArrayNode();
            for (WorkloadStatus s : rows) {
                ObjectNode o = array.addObject();
                o.put("name", s.workload().name());
                o.put("pid", s.workload().rootPid());
                o.put("netns", s.workload().netns());
                o.put("running", s.running());
                o.put("processes", s.processes());
                ArrayNode listening = o.putArray("listening");
                s.listening().forEach(a -> listening.add(StateJson.format(a)));
                o.put("established", s.established());
                ArrayNode cmd = o.putArray("command");
                s.workload().command().forEach(cmd::add);
                o.put("started", s.workload().started().toString());
            }
            out.println(mapper.writeValueAsString(array));
        } else {
            out.printf("%-20s %8s %-12s %-8s %5s %-24s %5s  %s%n",
                    "NAME", "PID", "NETNS", "STATE", "PROCS", "LISTENING", "CONNS", "COMMAND");
            for (WorkloadStatus s : rows) {
                out.printf("%-20s %8d %-12s %-8s %5d %-24s %5d  %s%n", s.workload().name(), s.workload().rootPid(),
                        s.workload().netns() == null ? "-" : s.workload().netns(),
                        s.running() ? "running" : "exited", s.processes(),
                        s.listening().isEmpty() ? "-" : s.listening().stream().map(StateJson::format)
                                .collect(Collectors.joining(",")),
                        s.established(), String.join(" ", s.workload().command()));
            }
        }
        out.flush();
        return 0;
    }
}
