package dev.baton.socket;

import dev.baton.socket.SocketCaptureException.Reason;
import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A process held stopped by {@link ProcessSockets#pause()}; {@link #close()} lets it continue. */
public final class Pause implements AutoCloseable {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(2);

    private final int pid;
    /** The pause did not stop this process (it was stopped already, or it is this JVM), so it will not continue it. */
    private final boolean untouched;
    private boolean closed;

    private Pause(int pid, boolean untouched) {
        this.pid = pid;
        this.untouched = untouched;
    }

    /** A pause that stops nothing, for a process that is stopped already by a pause still held. */
    static Pause held(int pid) {
        return new Pause(pid, true);
    }

    boolean isOpen() {
        return !closed;
    }

    static Pause stop(int pid) {
        return stopAll(List.of(pid)).getFirst();
    }

    /** Stops all processes at once (the signals go out together, then it waits for each). */
    static List<Pause> stopAll(List<Integer> pids) {
        List<Pause> pauses = new ArrayList<>();
        try {
            for (int pid : pids) {
                if (pid == ProcessHandle.current().pid()) {
                    // A process cannot stop itself and wait; its own sockets are its own business (tests).
                    pauses.add(new Pause(pid, true));
                    continue;
                }
                boolean untouched = allThreadsStopped(pid);
                if (!untouched) signal(pid, Libc.SIGSTOP, "stopping");
                pauses.add(new Pause(pid, untouched));
            }
            long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
            for (Pause p : pauses) {
                while (!p.untouched && !allThreadsStopped(p.pid)) {
                    if (System.nanoTime() > deadline) {
                        throw new SocketCaptureException(Reason.FAILED, "stopping process " + p.pid,
                                "its threads did not stop within " + STOP_TIMEOUT.toMillis() + " ms (traced?)");
                    }
                    Thread.onSpinWait();
                }
            }
            return pauses;
        } catch (RuntimeException e) {
            for (Pause p : pauses) {
                try {
                    p.close();
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
            }
            throw e;
        }
    }

    public int pid() {
        return pid;
    }

    /** Continues the process, unless it was stopped before the pause began. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (!untouched) signal(pid, Libc.SIGCONT, "continuing");
    }

    private static void signal(int pid, int signal, String what) {
        try {
            Libc.kill(pid, signal);
        } catch (ErrnoException e) {
            throw SocketCaptureException.of(what + " process " + pid, e);
        }
    }

    /** True when every thread of {@code pid} is in state T (stopped) or t (traced). */
    private static boolean allThreadsStopped(int pid) {
        Path tasks = Path.of("/proc", Integer.toString(pid), "task");
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
            for (Path task : dir) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (NoSuchFileException exited) {
                    continue;
                }
                // "pid (comm) S ..." — comm may hold spaces and parentheses; the state follows the last ')'.
                char state = stat.charAt(stat.lastIndexOf(')') + 2);
                if (state != 'T' && state != 't') return false;
            }
            return true;
        } catch (NoSuchFileException e) {
            throw new SocketCaptureException(Reason.NO_SUCH_PROCESS, "stopping process " + pid, "it has exited");
        } catch (IOException e) {
            throw new SocketCaptureException(Reason.FAILED, "stopping process " + pid, e.toString());
        }
    }
}
