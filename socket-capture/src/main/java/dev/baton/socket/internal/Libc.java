package dev.baton.socket.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc calls Baton makes through FFM, one method per call. Each method returns the call's result or throws
 * {@link ErrnoException} naming the call and errno; none of them interprets the result. Internal: the public
 * API of this module is in {@code dev.baton.socket} and {@code dev.baton.netns}.
 */
public final class Libc {
    // <sys/socket.h>, <netinet/in.h>, <linux/tcp.h>, <asm-generic/*>
    public static final int AF_UNSPEC = 0, AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16;
    public static final int SOCK_STREAM = 1, SOCK_RAW = 3, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000;
    public static final int NETLINK_SOCK_DIAG = 4, NETLINK_NETFILTER = 12;
    public static final int SOL_SOCKET = 1, SOL_IP = 0, SOL_TCP = 6, SOL_IPV6 = 41;
    public static final int SO_REUSEADDR = 2, SO_TYPE = 3, SO_ERROR = 4, SO_RCVTIMEO = 20, SO_ACCEPTCONN = 30,
            SO_DOMAIN = 39, SO_PROTOCOL = 38;
    public static final int IPPROTO_TCP = 6, IPPROTO_RAW = 255;
    public static final int SHUT_WR = 1;
    public static final int IP_FREEBIND = 15, IPV6_FREEBIND = 78, IP_TRANSPARENT = 19, IPV6_TRANSPARENT = 75;
    public static final int TCP_MAXSEG = 2, TCP_INFO = 11, TCP_REPAIR = 19, TCP_REPAIR_QUEUE = 20,
            TCP_QUEUE_SEQ = 21, TCP_REPAIR_OPTIONS = 22, TCP_TIMESTAMP = 24, TCP_NOTSENT_LOWAT = 25,
            TCP_REPAIR_WINDOW = 29;
    public static final int MSG_PEEK = 0x2, MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
    public static final long SIOCINQ = 0x541B, SIOCOUTQ = 0x5411, SIOCOUTQNSD = 0x894B, FIONBIO = 0x5421;
    public static final int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_APPEND = 0x400, O_DIRECTORY = 0x10000,
            O_CLOEXEC = 0x80000;
    public static final int WNOHANG = 1;
    public static final int CLONE_NEWNET = 0x40000000;
    public static final int SIGKILL = 9, SIGTERM = 15, SIGCONT = 18, SIGSTOP = 19;
    public static final long SYS_PIDFD_OPEN = 434, SYS_PIDFD_GETFD = 438;

    // errno values this module reports by name
    public static final int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, ENOSYS = 38, EBADF = 9, ECHILD = 10,
            EAGAIN = 11, EACCES = 13, EINVAL = 22,
            ENOPROTOOPT = 92, EOPNOTSUPP = 95, EADDRINUSE = 98, EADDRNOTAVAIL = 99, ENOTCONN = 107,
            ENOTSOCK = 88;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final ErrnoCapture ERRNO = new ErrnoCapture();
    /** Per-thread native scratch space: a call here allocates nothing (capture and rebuild run ~25 calls a socket). */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final MethodHandle SOCKET = function("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle SETSOCKOPT =
            function("setsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle GETSOCKOPT =
            function("getsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle IOCTL = variadic("ioctl", 2, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS);
    private static final MethodHandle BIND = function("bind", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle CONNECT = function("connect", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle GETSOCKNAME = function("getsockname", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle GETPEERNAME = function("getpeername", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle CLOSE = function("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle RECV = function("recv", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle SEND = function("send", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle SENDTO =
            function("sendto", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle SHUTDOWN = function("shutdown", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle OPEN = variadic("open", 2, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    private static final MethodHandle SETNS = function("setns", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle KILL = function("kill", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle SYSCALL3 =
            variadic("syscall", 1, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle SOCKETPAIR = function("socketpair", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle WAITPID = function("waitpid", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    // The posix_spawn family returns an error number instead of setting errno.
    private static final MethodHandle POSIX_SPAWNP =
            plain("posix_spawnp", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
    private static final MethodHandle SPAWN_ACTIONS_INIT = plain("posix_spawn_file_actions_init", JAVA_INT, ADDRESS);
    private static final MethodHandle SPAWN_ACTIONS_DESTROY =
            plain("posix_spawn_file_actions_destroy", JAVA_INT, ADDRESS);
    private static final MethodHandle SPAWN_ACTIONS_ADDDUP2 =
            plain("posix_spawn_file_actions_adddup2", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    private static final MethodHandle SPAWN_ACTIONS_ADDOPEN =
            plain("posix_spawn_file_actions_addopen", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    private static final MethodHandle SPAWN_ACTIONS_ADDCLOSEFROM =
            plain("posix_spawn_file_actions_addclosefrom_np", JAVA_INT, ADDRESS, JAVA_INT);
    /** glibc's {@code char **environ}: the child of {@link #posixSpawnp} gets this process's environment. */
    private static final MemorySegment ENVIRON = symbol("environ").reinterpret(ADDRESS.byteSize());

    private Libc() {}

    public static int socket(int domain, int type, int protocol) {
        try {
            MemorySegment err = SCRATCH.get().errno;
            int r = (int) SOCKET.invokeExact(err, domain, type, protocol);
            return check(r, err, "socket");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void setsockopt(int fd, int level, int name, MemorySegment value) {
        try {
            MemorySegment err = SCRATCH.get().errno;
            int r = (int) SETSOCKOPT.invokeExact(err, fd, level, name, value, (int) value.byteSize());
            check(r, err, "setsockopt(" + optionName(level, name) + ")");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void setsockoptInt(int fd, int level, int name, int value) {
        MemorySegment v = SCRATCH.get().value;
        v.set(JAVA_INT, 0, value);
        setsockopt(fd, level, name, v);
    }

    /** SO_RCVTIMEO in whole seconds: a receive waits at most that long, then fails with EAGAIN. */
    public static void setReceiveTimeout(int fd, int seconds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment timeval = arena.allocate(16); // struct timeval { tv_sec; tv_usec; }
            timeval.set(JAVA_LONG, 0, seconds);
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval);
        }
    }

    /** Reads an option into {@code value}; returns the length the kernel wrote. */
    public static int getsockopt(int fd, int level, int name, MemorySegment value) {
        try {
            Scratch scratch = SCRATCH.get();
            MemorySegment err = scratch.errno;
            MemorySegment len = scratch.length;
            len.set(JAVA_INT, 0, (int) value.byteSize());
            int r = (int) GETSOCKOPT.invokeExact(err, fd, level, name, value, len);
            check(r, err, "getsockopt(" + optionName(level, name) + ")");
            return len.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int getsockoptInt(int fd, int level, int name) {
        MemorySegment v = SCRATCH.get().value;
        getsockopt(fd, level, name, v);
        return v.get(JAVA_INT, 0);
    }

    public static int ioctlInt(int fd, long request, String what) {
        try {
            Scratch scratch = SCRATCH.get();
            MemorySegment err = scratch.errno;
            MemorySegment v = scratch.value;
            int r = (int) IOCTL.invokeExact(err, fd, request, v);
            check(r, err, "ioctl(" + what + ")");
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl with an int argument passed by reference, such as FIONBIO. */
    public static void ioctlSetInt(int fd, long request, int value, String what) {
        try {
            Scratch scratch = SCRATCH.get();
            MemorySegment err = scratch.errno;
            MemorySegment v = scratch.value;
            v.set(JAVA_INT, 0, value);
            int r = (int) IOCTL.invokeExact(err, fd, request, v);
            check(r, err, "ioctl(" + what + ")");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void bind(int fd, MemorySegment sockaddr) {
        try {
            MemorySegment err = SCRATCH.get().errno;
            int r = (int) BIND.invokeExact(err, fd, sockaddr, (int) sockaddr.byteSize());
            check(r, err, "bind");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void connect(int fd, MemorySegment sockaddr) {
        try {
            MemorySegment err = SCRATCH.get().errno;
            int r = (int) CONNECT.invokeExact(err, fd, sockaddr, (int) sockaddr.byteSize());
            check(r, err, "connect");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Fills {@code sockaddr} (128 bytes is enough for any family) with the socket's local address. */
    public static void getsockname(int fd, MemorySegment sockaddr) {
        nameCall(GETSOCKNAME, "getsockname", fd, sockaddr);
    }

    public static void getpeername(int fd, MemorySegment sockaddr) {
        nameCall(GETPEERNAME, "getpeername", fd, sockaddr);
    }

    private static void nameCall(MethodHandle h, String what, int fd, MemorySegment sockaddr) {
        try {
            Scratch scratch = SCRATCH.get();
            MemorySegment err = scratch.errno;
            MemorySegment len = scratch.length;
            len.set(JAVA_INT, 0, (int) sockaddr.byteSize());
            int r = (int) h.invokeExact(err, fd, sockaddr, len);
            check(r, err, what);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void close(int fd) {
        try {
            MemorySegment err = SCRATCH.get().errno;
            int r = (int) CLOSE.invokeExact(err, fd);
            check(r, err, "close");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** recv(2); returns the byte count (0 at end of stream). */
    public static long recv(int fd, MemorySegment buf, int flags) {
        try {
            MemorySegment err = SCRATCH.get().errno;
            long r = (long) RECV.invokeExact(err, fd, buf, buf.byteSize(), flags);
            if (r < 0) throw new ErrnoException("recv", errno(err));
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** send(2); returns the byte count, which may be short. */
    public static long send(int fd, MemorySegment buf, int flags) {
        try {
            MemorySegment err = SCRATCH.get().errno;
            long r = (long) SEND.invokeExact(err, fd, buf, buf.byteSize(), flags);
            if (r < 0) throw new ErrnoException("send", errno(err));
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sendto(2); returns the byte count. */
    public static long sendto(int fd, MemorySegment buf, int flags, MemorySegment sockaddr) {
        try {
            MemorySegment err = SCRATCH.get().errno;
            long r = (long) SENDTO.invokeExact(err, fd, buf, buf.byteSize(), flags, sockaddr, (int) sockaddr.byteSize());
            if (r < 0) throw new ErrnoException("sendto", errno(err));
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** shutdown(2); {@code how} is {@link #SHUT_WR} here. */
    public static void shutdown(int fd, int how) {
        try {
            MemorySegment err = SCRATCH.get().errno;
            int r = (int) SHUTDOWN.invokeExact(err, fd, how);
            check(r, err, "shutdown");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = SCRATCH.get().errno;
            int r = (int) OPEN.invokeExact(err, arena.allocateFrom(path), flags, 0);
            return check(r, err, "open(" + path + ")");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void setns(int fd, int nstype) {
        try {
            MemorySegment err = SCRATCH.get().errno;
            int r = (int) SETNS.invokeExact(err, fd, nstype);
            check(r, err, "setns");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void kill(int pid, int signal) {
        try {
            MemorySegment err = SCRATCH.get().errno;
            int r = (int) KILL.invokeExact(err, pid, signal);
            check(r, err, "kill");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** pidfd_open(2): a file descriptor that refers to process {@code pid}. */
    public static int pidfdOpen(int pid) {
        return (int) syscall3(SYS_PIDFD_OPEN, "pidfd_open", pid, 0, 0);
    }

    /** pidfd_getfd(2): a duplicate, in this process, of file descriptor {@code targetFd} of the pidfd's process. */
    public static int pidfdGetfd(int pidfd, int targetFd) {
        return (int) syscall3(SYS_PIDFD_GETFD, "pidfd_getfd", pidfd, targetFd, 0);
    }

    private static long syscall3(long nr, String what, int a, int b, int c) {
        try {
            MemorySegment err = SCRATCH.get().errno;
            long r = (long) SYSCALL3.invokeExact(err, nr, a, b, c);
            if (r < 0) throw new ErrnoException(what, errno(err));
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** socketpair(2): the two connected ends, {@code [0]} and {@code [1]}. */
    public static int[] socketpair(int domain, int type, int protocol) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = SCRATCH.get().errno;
            MemorySegment sv = arena.allocate(JAVA_INT, 2);
            int r = (int) SOCKETPAIR.invokeExact(err, domain, type, protocol, sv);
            check(r, err, "socketpair");
            return new int[] {sv.getAtIndex(JAVA_INT, 0), sv.getAtIndex(JAVA_INT, 1)};
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** What waitpid(2) returned: the child's PID (0 with {@link #WNOHANG} while it runs) and its raw status. */
    public record WaitResult(int pid, int status) {}

    /** waitpid(2) for one child. */
    public static WaitResult waitpid(int pid, int options) {
        try {
            Scratch scratch = SCRATCH.get();
            MemorySegment err = scratch.errno;
            MemorySegment status = scratch.value;
            status.set(JAVA_INT, 0, 0); // WNOHANG on a running child writes no status
            int r = (int) WAITPID.invokeExact(err, pid, status, options);
            check(r, err, "waitpid(" + pid + ")");
            return new WaitResult(r, status.get(JAVA_INT, 0));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * A {@code posix_spawn_file_actions_t}: what the child of {@link #posixSpawnp} does to its file descriptors
     * before it runs the program, in the order added. {@link #close()} destroys it.
     */
    public static final class SpawnFileActions implements AutoCloseable {
        // sizeof(posix_spawn_file_actions_t) is 80 on glibc x86-64; the rest is headroom.
        private static final long SIZE = 128;
        private final Arena arena = Arena.ofConfined();
        private final MemorySegment actions = arena.allocate(SIZE, 8);

        public SpawnFileActions() {
            spawnCall(() -> (int) SPAWN_ACTIONS_INIT.invokeExact(actions), "posix_spawn_file_actions_init");
        }

        /** dup2(fd, newFd) in the child; the copy is inherited across exec (dup2 clears FD_CLOEXEC). */
        public SpawnFileActions dup2(int fd, int newFd) {
            spawnCall(() -> (int) SPAWN_ACTIONS_ADDDUP2.invokeExact(actions, fd, newFd),
                    "posix_spawn_file_actions_adddup2");
            return this;
        }

        /** open(path, flags, mode) onto {@code fd} in the child. */
        public SpawnFileActions open(int fd, String path, int flags, int mode) {
            MemorySegment p = arena.allocateFrom(path); // must live until the spawn: glibc keeps the pointer
            spawnCall(() -> (int) SPAWN_ACTIONS_ADDOPEN.invokeExact(actions, fd, p, flags, mode),
                    "posix_spawn_file_actions_addopen(" + path + ")");
            return this;
        }

        /** Closes every descriptor from {@code lowFd} up in the child (glibc ≥ 2.34). */
        public SpawnFileActions closeFrom(int lowFd) {
            spawnCall(() -> (int) SPAWN_ACTIONS_ADDCLOSEFROM.invokeExact(actions, lowFd),
                    "posix_spawn_file_actions_addclosefrom_np");
            return this;
        }

        @Override
        public void close() {
            try {
                spawnCall(() -> (int) SPAWN_ACTIONS_DESTROY.invokeExact(actions), "posix_spawn_file_actions_destroy");
            } finally {
                arena.close();
            }
        }
    }

    /**
     * posix_spawnp(3): runs {@code argv} (the program searched on PATH) as a child of this process with this
     * process's environment and {@code actions} applied; returns the child's PID. The child must be reaped with
     * {@link #waitpid}.
     */
    public static int posixSpawnp(List<String> argv, SpawnFileActions actions) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment args = arena.allocate(ADDRESS, argv.size() + 1);
            for (int i = 0; i < argv.size(); i++) args.setAtIndex(ADDRESS, i, arena.allocateFrom(argv.get(i)));
            args.setAtIndex(ADDRESS, argv.size(), MemorySegment.NULL);
            MemorySegment pid = arena.allocate(JAVA_INT);
            MemorySegment env = ENVIRON.get(ADDRESS, 0);
            spawnCall(() -> (int) POSIX_SPAWNP.invokeExact(pid, args.getAtIndex(ADDRESS, 0), actions.actions,
                    MemorySegment.NULL, args, env), "posix_spawnp(" + argv.get(0) + ")");
            return pid.get(JAVA_INT, 0);
        }
    }

    private interface SpawnCall {
        int invoke() throws Throwable;
    }

    private static void spawnCall(SpawnCall call, String what) {
        int r;
        try {
            r = call.invoke();
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r != 0) throw new ErrnoException(what, r);
    }

    private static int check(int result, MemorySegment err, String what) {
        if (result < 0) throw new ErrnoException(what, errno(err));
        return result;
    }

    private static int errno(MemorySegment err) {
        return (int) ERRNO.errno.get(err, 0L);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("native call failed", t);
    }

    private static String optionName(int level, int name) {
        if (level == SOL_TCP) {
            return switch (name) {
                case TCP_MAXSEG -> "TCP_MAXSEG";
                case TCP_INFO -> "TCP_INFO";
                case TCP_REPAIR -> "TCP_REPAIR";
                case TCP_REPAIR_QUEUE -> "TCP_REPAIR_QUEUE";
                case TCP_QUEUE_SEQ -> "TCP_QUEUE_SEQ";
                case TCP_REPAIR_OPTIONS -> "TCP_REPAIR_OPTIONS";
                case TCP_TIMESTAMP -> "TCP_TIMESTAMP";
                case TCP_REPAIR_WINDOW -> "TCP_REPAIR_WINDOW";
                case TCP_NOTSENT_LOWAT -> "TCP_NOTSENT_LOWAT";
                default -> "SOL_TCP/" + name;
            };
        }
        if (level == SOL_SOCKET) {
            return switch (name) {
                case SO_REUSEADDR -> "SO_REUSEADDR";
                case SO_TYPE -> "SO_TYPE";
                case SO_ERROR -> "SO_ERROR";
                case SO_ACCEPTCONN -> "SO_ACCEPTCONN";
                case SO_DOMAIN -> "SO_DOMAIN";
                case SO_PROTOCOL -> "SO_PROTOCOL";
                default -> "SOL_SOCKET/" + name;
            };
        }
        if (level == SOL_IP && name == IP_FREEBIND) return "IP_FREEBIND";
        if (level == SOL_IPV6 && name == IPV6_FREEBIND) return "IPV6_FREEBIND";
        if (level == SOL_IP && name == IP_TRANSPARENT) return "IP_TRANSPARENT";
        if (level == SOL_IPV6 && name == IPV6_TRANSPARENT) return "IPV6_TRANSPARENT";
        return level + "/" + name;
    }

    private static MethodHandle function(String name, MemoryLayout result, MemoryLayout... args) {
        return LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(result, args), ERRNO.option);
    }

    /** A function that reports failure in its result rather than in errno. */
    private static MethodHandle plain(String name, MemoryLayout result, MemoryLayout... args) {
        return LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(result, args));
    }

    private static MethodHandle variadic(String name, int firstVariadic, MemoryLayout result, MemoryLayout... args) {
        return LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(result, args),
                ERRNO.option, Linker.Option.firstVariadicArg(firstVariadic));
    }

    private static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    /** The errno capture-state layout, and the handle that reads errno out of it. */
    private static final class ErrnoCapture {
        final Linker.Option option = Linker.Option.captureCallState("errno");
        final java.lang.foreign.StructLayout layout = Linker.Option.captureStateLayout();
        final VarHandle errno = layout.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    }

    /** Native memory one thread reuses for errno, an int option value and a length. */
    private static final class Scratch {
        final MemorySegment errno;
        final MemorySegment value;
        final MemorySegment length;

        Scratch() {
            Arena arena = Arena.ofAuto();
            errno = arena.allocate(ERRNO.layout);
            value = arena.allocate(JAVA_INT);
            length = arena.allocate(JAVA_INT);
        }
    }
}
