package dev.baton.cli;

import dev.baton.socket.ProcessSockets;
import dev.baton.socket.SocketCaptureException;

/** The process a {@code sockets} subcommand works on. */
final class Target {
    private Target() {}

    /** Opens process {@code pid}; a missing process is reported as {@code no such process PID}. */
    static ProcessSockets open(int pid) {
        try {
            return ProcessSockets.open(pid);
        } catch (SocketCaptureException e) {
            if (e.reason() == SocketCaptureException.Reason.NO_SUCH_PROCESS) {
                throw new CommandFailure("no such process " + pid, e);
            }
            throw e;
        }
    }

    /**
     * What went wrong, for a message that already names the fd and process: the reason alone when it says all
     * (the library's message names the step on this JVM's duplicate fd, which would only confuse), else the
     * library's full message.
     */
    static String describe(SocketCaptureException e) {
        return switch (e.reason()) {
            case NO_SUCH_PROCESS, NO_SUCH_FD, NOT_A_SOCKET, NOT_TCP, LISTENING, PERMISSION_DENIED -> e.reason().hint();
            default -> e.getMessage();
        };
    }
}
