package dev.baton.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.ckpt.agent.AgentClient;
import dev.baton.ckpt.agent.AgentException;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.WorkloadStatus;
import dev.baton.socket.StateJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

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
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ArrayNode array = StateJson.mapper().createArrayNode();
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
        return 0;
    }
}
