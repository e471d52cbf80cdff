package dev.baton.cli;

import dev.baton.socket.ProcessSockets;
import dev.baton.socket.SocketCaptureException;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpSocketState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;

/**
 * {@code baton sockets repoint --pid PID --fd FD --to IP:PORT}: re-points one connection of a live process at a
 * new remote address in place (same fd, sequence numbers and queues); the process is stopped meanwhile.
 */
@Command(name = "repoint", description = "Re-point a live process's TCP connection at a new remote address.")
final class RepointCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RepointCommand.class);

    @Spec
    private CommandSpec spec;

    @Option(names = "--pid", required = true, paramLabel = "PID", description = "The process.")
    private int pid;

    @Option(names = "--fd", required = true, paramLabel = "FD", description = "Its socket's file descriptor.")
    private int fd;

    @Option(names = "--to", required = true, paramLabel = "IP:PORT", converter = AddressConverter.class,
            description = "The new remote address: 198.18.0.2:80 or [2001:db8::2]:80.")
    private InetSocketAddress to;

    @Override
    @SuppressWarnings("try") // the pause is held, not used
    public Integer call() throws Exception {
        Privileges.requireRoot("sockets repoint", "it re-points a connection of another process with pidfd_getfd and TCP_REPAIR");
        long start = System.nanoTime();
        TcpSocketState before;
        try (ProcessSockets process = Target.open(pid)) {
            before = process.repoint(fd, to);
        } catch (SocketCaptureException e) {
            throw new CommandFailure("cannot re-point fd " + fd + " of process " + pid + ": " + Target.describe(e), e);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        log.debug("state before the re-point: {}", before);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("fd %d of process %d (local %s): remote %s -> %s; send queue %d B, receive queue %d B; %d ms%n",
                fd, pid, StateJson.format(before.local()), StateJson.format(before.remote()), StateJson.format(to),
                before.sendQueue().length(), before.receiveQueue().length(), millis);
        out.flush();
        return 0;
    }
}
