package dev.baton.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.baton.socket.Pause;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.SocketCaptureException;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code baton sockets list --pid PID [--json|--table]}: the process's TCP sockets, each connection with its
 * state captured (TCP_REPAIR) while the process is stopped.
 */
@Command(name = "list", description = "List a process's TCP sockets with their captured state.")
final class ListSocketsCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ListSocketsCommand.class);

    @Spec
    private CommandSpec spec;

    @Option(names = "--pid", required = true, paramLabel = "PID", description = "The process.")
    private int pid;

    @ArgGroup(exclusive = true)
    private Format format = new Format();

    static final class Format {
        @Option(names = "--json", description = "JSON array (the default).")
        boolean json;

        @Option(names = "--table", description = "A compact table for people.")
        boolean table;
    }

    @Override
    public Integer call() throws Exception {
        Privileges.requireRoot("sockets list", "it reads connections of another process with pidfd_getfd and TCP_REPAIR");
        List<CapturedSocket> sockets;
        try (ProcessSockets process = Target.open(pid)) {
            sockets = capture(process);
        }
        ObjectMapper mapper = StateJson.mapper().enable(SerializationFeature.INDENT_OUTPUT);
        ArrayNode rows = mapper.createArrayNode();
        sockets.forEach(s -> rows.add(s.toJson(mapper)));
        PrintWriter out = spec.commandLine().getOut();
        if (format.table) SocketTable.print(rows, out);
        else out.println(mapper.writeValueAsString(rows));
        out.flush();
        return 0;
    }

    /** Lists first, then stops the process once for all the captures. */
    @SuppressWarnings("try") // the pause is held, not used
    private static List<CapturedSocket> capture(ProcessSockets process) {
        List<SocketEntry> entries = process.list();
        try (Pause paused = process.pause()) {
            List<CapturedSocket> result = new ArrayList<>(entries.size());
            for (SocketEntry e : entries) result.add(capture(process, e));
            return result;
        }
    }

    private static CapturedSocket capture(ProcessSockets process, SocketEntry entry) {
        if (entry.state() == TcpState.LISTEN) return CapturedSocket.listening(entry);
        try {
            return new CapturedSocket(entry, process.capture(entry.fd()), null);
        } catch (SocketCaptureException e) {
            if (e.reason() == SocketCaptureException.Reason.NO_SUCH_PROCESS) throw e;
            log.debug("capturing fd {} of process {}", entry.fd(), process.pid(), e);
            return new CapturedSocket(entry, null, Target.describe(e));
        }
    }
}
