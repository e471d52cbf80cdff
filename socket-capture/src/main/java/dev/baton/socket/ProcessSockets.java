package dev.baton.socket;

import dev.baton.netns.NetNamespace;
import dev.baton.socket.SocketCaptureException.Reason;
import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The TCP sockets of another process: list them, take one into this process (pidfd_getfd) to capture or
 * re-point it, and stop the process while that happens. Holds a pidfd, so the process cannot be confused with
 * a later one that reuses its PID. Needs root (ptrace rights over the process).
 */
public final class ProcessSockets implements AutoCloseable {
    private final int pid;
    private final int pidfd;
    /** The pause this handle holds, so that nested pauses (a capture inside a caller's pause) cost nothing. */
    private Pause paused;

    private ProcessSockets(int pid, int pidfd) {
        this.pid = pid;
        this.pidfd = pidfd;
    }

    /** @throws SocketCaptureException NO_SUCH_PROCESS, KERNEL_UNSUPPORTED (no pidfd_open) */
    public static ProcessSockets open(int pid) {
        if (pid <= 0) throw new SocketCaptureException(Reason.NO_SUCH_PROCESS, "opening process " + pid, "bad PID");
        try {
            return new ProcessSockets(pid, Libc.pidfdOpen(pid));
        } catch (ErrnoException e) {
            throw SocketCaptureException.of("opening process " + pid, e);
        }
    }

    public int pid() {
        return pid;
    }

    /** The process's network namespace, where sockets for it must be created. */
    public NetNamespace netns() {
        return NetNamespace.ofProcess(pid);
    }

    /**
     * Lists the process's TCP sockets with their 4-tuples and states, in fd order, listening sockets included.
     * Reads {@code /proc/PID/fd} and the process's own view of {@code /proc/net/tcp{,6}}, so it works across
     * network namespaces and disturbs nothing.
     */
    public List<SocketEntry> list() {
        Map<Long, Integer> fdByInode = socketFds("listing sockets of " + pid);
        Path proc = Path.of("/proc", Integer.toString(pid));
        List<SocketEntry> entries = new ArrayList<>();
        readTable(proc.resolve("net/tcp"), Family.INET, fdByInode, entries);
        readTable(proc.resolve("net/tcp6"), Family.INET6, fdByInode, entries);
        // Sockets made in another namespace than the process's own (a proxy, a test harness) are not in its
        // /proc tables: ask the sockets themselves.
        for (SocketEntry e : entries) fdByInode.remove(e.inode());
        fdByInode.forEach((inode, fd) -> inspect(fd, inode, entries));
        entries.sort(Comparator.comparingInt(SocketEntry::fd));
        return entries;
    }

    /**
     * The listening sockets of {@code pid}'s network namespace that have connections waiting to be accepted (the
     * kernel completed them, no process took them yet), by inode, with how many wait. Asked of the kernel over
     * netlink, listeners only; {@link #socketInodes()} tells which are a process's. A checkpoint taken now would
     * fail: CRIU refuses to dump connections in flight.
     *
     * @throws SocketCaptureException NO_SUCH_PROCESS, or the netlink query failed
     */
    public static Map<Long, Integer> acceptQueues(int pid) {
        return ListenQueues.in(NetNamespace.ofProcess(pid));
    }

    /** The inodes of the sockets this process has open. */
    public Set<Long> socketInodes() {
        return socketFds("listing the sockets of " + pid).keySet();
    }

    /** The process's socket fds by inode (the lowest fd when several share one). */
    private Map<Long, Integer> socketFds(String doing) {
        Path fds = Path.of("/proc", Integer.toString(pid), "fd");
        Map<Long, Integer> fdByInode = new HashMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(fds)) {
            for (Path fd : dir) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (NoSuchFileException closedMeanwhile) {
                    continue;
                }
                if (target.startsWith("socket:[")) {
                    long inode = Long.parseLong(target.substring(8, target.length() - 1));
                    fdByInode.merge(inode, Integer.parseInt(fd.getFileName().toString()), Math::min);
                }
            }
        } catch (NoSuchFileException e) {
            throw new SocketCaptureException(Reason.NO_SUCH_PROCESS, doing, "it has exited");
        } catch (IOException e) {
            throw new UncheckedIOException(doing, e);
        }
        return fdByInode;
    }

    private static void readTable(Path table, Family family, Map<Long, Integer> fdByInode, List<SocketEntry> out) {
        List<String> lines;
        try {
            lines = Files.readAllLines(table);
        } catch (NoSuchFileException e) {
            return; // no IPv6 in this kernel
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + table, e);
        }
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
            String[] f = line.trim().split("\\s+");
            if (f.length < 10) continue;
            long inode = Long.parseLong(f[9]);
            Integer fd = fdByInode.get(inode);
            if (fd == null) continue;
            out.add(new SocketEntry(fd, inode, family, parseProcAddress(f[1]), parseProcAddress(f[2]),
                    TcpState.ofCode(Integer.parseInt(f[3], 16))));
        }
    }

    private void inspect(int fd, long inode, List<SocketEntry> out) {
        try (TcpSocket socket = grab(fd)) {
            Family family = socket.tcpFamily();
            if (family == null) return;
            TcpState state = socket.info().state();
            InetSocketAddress remote = state == TcpState.LISTEN || state == TcpState.CLOSE
                    ? new InetSocketAddress(InetAddress.ofLiteral(family == Family.INET ? "0.0.0.0" : "::"), 0)
                    : socket.remoteAddress();
            out.add(new SocketEntry(fd, inode, family, socket.localAddress(), remote, state));
        } catch (SocketCaptureException | ErrnoException closedMeanwhile) {
            // the fd went away or is not what it seemed: not a TCP socket to list
        }
    }

    /** "0100007F:1F90" (IPv4) or 32 hex digits and a port (IPv6); each 32-bit word is in host byte order. */
    static InetSocketAddress parseProcAddress(String s) {
        int colon = s.indexOf(':');
        byte[] raw = HexFormat.of().parseHex(s.substring(0, colon));
        byte[] ip = new byte[raw.length];
        for (int word = 0; word < raw.length; word += 4) {
            for (int i = 0; i < 4; i++) ip[word + i] = raw[word + 3 - i]; // little-endian words
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), Integer.parseInt(s.substring(colon + 1), 16));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad address in /proc: " + s, e);
        }
    }

    /**
     * Takes a duplicate of the process's file descriptor {@code fd} into this process (pidfd_getfd). The
     * duplicate is the same socket: capturing, re-pointing or closing it in repair mode acts on the process's
     * connection. Closing the returned socket closes only the duplicate.
     *
     * @throws SocketCaptureException NO_SUCH_FD, NO_SUCH_PROCESS, PERMISSION_DENIED, KERNEL_UNSUPPORTED
     */
    public TcpSocket grab(int fd) {
        try {
            return TcpSocket.own(Libc.pidfdGetfd(pidfd, fd));
        } catch (ErrnoException e) {
            throw SocketCaptureException.of("taking fd " + fd + " of process " + pid, e);
        }
    }

    /**
     * Captures the state of the process's socket at {@code fd}, stopping the process meanwhile (unless this handle
     * already holds it stopped). The socket runs on unchanged. Unlike {@link #repoint}, this needs no thread in
     * the process's network namespace: repair-mode options act on the socket's own namespace, whichever thread
     * calls them. Same precondition as {@link RepairSession}: no packets may reach the socket meanwhile, or the
     * capture is refused as INCONSISTENT_STATE.
     */
    public TcpSocketState capture(int fd) {
        try (Pause stopped = pause(); TcpSocket socket = grab(fd)) {
            return SocketCapture.capture(socket);
        }
    }

    /**
     * Re-points the process's socket at {@code fd} in place at {@code newRemote} ({@link SocketCapture#repoint}):
     * stops the process meanwhile (unless this handle already holds it stopped) and works on a thread inside its
     * network namespace, where a half-closed connection's FIN must be re-injected. The process keeps its fd and
     * sees only the pause.
     *
     * @return the state before the re-point
     */
    public TcpSocketState repoint(int fd, InetSocketAddress newRemote) {
        try (Pause stopped = pause()) {
            return netns().get(() -> {
                try (TcpSocket socket = grab(fd)) {
                    return SocketCapture.repoint(socket, newRemote);
                }
            });
        }
    }

    /**
     * Stops the process (SIGSTOP) and waits until all its threads are stopped; closing the returned handle
     * continues it (SIGCONT) — unless it was already stopped before (by the caller's own pause, say), in which
     * case it stays stopped. While
     * stopped, blocked reads and writes are interrupted and restarted transparently after SIGCONT, so the
     * process never sees its socket in repair mode. Pausing this JVM's own PID does nothing (it could not wait
     * for itself).
     */
    public Pause pause() {
        if (paused != null && paused.isOpen()) return Pause.held(pid);
        paused = Pause.stop(pid);
        return paused;
    }

    /**
     * {@link #pause()} for several processes at once: all are signalled before waiting for any, so the time
     * they are stopped overlaps. Returned in the same order; on failure, those already stopped continue.
     */
    public static List<Pause> pauseAll(List<ProcessSockets> processes) {
        return Pause.stopAll(processes.stream().map(ProcessSockets::pid).toList());
    }

    @Override
    public void close() {
        Libc.close(pidfd);
    }

    @Override
    public String toString() {
        return "process " + pid;
    }
}
