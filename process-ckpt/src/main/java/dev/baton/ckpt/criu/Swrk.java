package dev.baton.ckpt.criu;

import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;

/**
 * One {@code criu swrk} child and our end of its SEQPACKET socket: one protobuf message per packet. The JDK can
 * neither make a SEQPACKET socketpair nor hand a descriptor to a child, hence FFM: {@code socketpair} with
 * CLOEXEC on both ends, then {@code posix_spawnp} with the child's end dup2'ed to descriptor 3 (which clears
 * CLOEXEC there) and every other inherited descriptor closed.
 */
final class Swrk {
    /** The descriptor the child sees its end at: {@code criu swrk 3}. */
    static final int CHILD_FD = 3;
    private static final Duration POLL = Duration.ofMillis(2);

    private final int pid;
    private final String command;
    private int fd;
    private ExitStatus exit;

    private Swrk(int pid, int fd, String command) {
        this.pid = pid;
        this.fd = fd;
        this.command = command;
    }

    static Swrk spawn(CriuLaunch launch) {
        List<String> argv = launch.argv(CHILD_FD);
        int[] pair;
        try {
            pair = Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC, 0);
        } catch (ErrnoException e) {
            throw new CriuProtocolException("cannot create the socket pair for criu swrk: " + e.getMessage(), e);
        }
        try (Libc.SpawnFileActions actions = new Libc.SpawnFileActions()) {
            actions.open(0, "/dev/null", Libc.O_RDONLY, 0)
                    .open(1, launch.output().toString(), Libc.O_WRONLY | Libc.O_CREAT | Libc.O_APPEND, 0644)
                    .dup2(1, 2)
                    .dup2(pair[1], CHILD_FD)
                    .closeFrom(CHILD_FD + 1);
            int pid = Libc.posixSpawnp(argv, actions);
            return new Swrk(pid, pair[0], String.join(" ", argv));
        } catch (ErrnoException e) {
            Libc.close(pair[0]);
            throw new CriuProtocolException("cannot start " + String.join(" ", argv) + ": " + e.getMessage(), e);
        } finally {
            Libc.close(pair[1]); // the child has its own copy
        }
    }

    int pid() {
        return pid;
    }

    /** Sends one message as one packet. */
    void send(byte[] message, String step) {
        if (fd < 0) throw new CriuProtocolException("criu swrk (pid " + pid + ") is closed; cannot " + step);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_BYTE, message);
            long n = Libc.send(fd, buf, Libc.MSG_NOSIGNAL);
            if (n != message.length) {
                throw new CriuProtocolException("short send to criu swrk during " + step + ": " + n + " of "
                        + message.length + " bytes");
            }
        } catch (ErrnoException e) {
            throw died("sending the " + step + " request", e);
        }
    }

    /** Receives one packet, sized from the packet itself (a peek with MSG_TRUNC gives its real length). */
    byte[] receive(String step) {
        if (fd < 0) throw new CriuProtocolException("criu swrk (pid " + pid + ") is closed; cannot " + step);
        try {
            long size = recvRetrying(MemorySegment.NULL, Libc.MSG_PEEK | Libc.MSG_TRUNC);
            if (size == 0) throw died("waiting for the answer to " + step, null);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(size);
                long n = recvRetrying(buf, Libc.MSG_TRUNC);
                if (n == 0) throw died("waiting for the answer to " + step, null);
                if (n > size) {
                    throw new CriuProtocolException("truncated packet from criu swrk during " + step + ": " + n
                            + " bytes sent, " + size + " received");
                }
                return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            }
        } catch (ErrnoException e) {
            throw died("waiting for the answer to " + step, e);
        }
    }

    private long recvRetrying(MemorySegment buf, int flags) {
        while (true) {
            try {
                return Libc.recv(fd, buf, flags);
            } catch (ErrnoException e) {
                if (e.errno() != Libc.EINTR) throw e;
            }
        }
    }

    /** swrk hung up or the socket failed: say so with how it ended, if it has. */
    private CriuProtocolException died(String while_, ErrnoException cause) {
        ExitStatus status = reap(Duration.ofSeconds(2));
        String how = status != null ? status.toString() : "still running";
        return new CriuProtocolException("criu swrk (pid " + pid + ", " + command + ") went away " + while_ + " ("
                + how + (cause != null ? "; " + cause.getMessage() : "") + ")", cause);
    }

    /**
     * Hangs up (swrk exits once it sees the end of its socket, or after its last request anyway) and waits for
     * it up to {@code grace}; kills it after that. Returns how it ended, or null if even SIGKILL did not end it
     * in time (then it is left to the next call). Idempotent.
     */
    ExitStatus reap(Duration grace) {
        if (exit != null) return exit;
        if (fd >= 0) {
            Libc.close(fd);
            fd = -1;
        }
        long deadline = System.nanoTime() + grace.toNanos();
        ExitStatus status = poll(deadline);
        if (status == null) {
            try {
                Libc.kill(pid, Libc.SIGKILL);
            } catch (ErrnoException ignored) {
                // it ended meanwhile
            }
            status = poll(System.nanoTime() + Duration.ofSeconds(5).toNanos());
        }
        exit = status;
        return status;
    }

    private ExitStatus poll(long deadline) {
        while (true) {
            Libc.WaitResult w;
            try {
                w = Libc.waitpid(pid, Libc.WNOHANG);
            } catch (ErrnoException e) {
                if (e.errno() == Libc.EINTR) continue;
                throw new CriuProtocolException("cannot wait for criu swrk (pid " + pid + "): " + e.getMessage(), e);
            }
            if (w.pid() == pid) return new ExitStatus(w.status());
            if (System.nanoTime() > deadline) return null;
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }
}
