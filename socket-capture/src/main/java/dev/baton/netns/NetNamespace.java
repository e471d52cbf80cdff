package dev.baton.netns;

import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A network namespace, by the path of its nsfs file ({@code /run/netns/NAME}, {@code /proc/PID/ns/net}).
 * {@link #call} runs code inside it on a dedicated platform thread: a thread's namespace is a property of the
 * kernel task, so it must never be switched on a virtual thread or a pooled thread that others share. Sockets
 * created inside belong to the namespace for life; file descriptors can be used from any thread afterwards.
 */
public final class NetNamespace {
    private final Path path;

    private NetNamespace(Path path) {
        this.path = path;
    }

    /** The namespace of process {@code pid}. */
    public static NetNamespace ofProcess(long pid) {
        return new NetNamespace(Path.of("/proc", Long.toString(pid), "ns", "net"));
    }

    /** A namespace made with {@code ip netns add NAME}. */
    public static NetNamespace named(String name) {
        if (name.isEmpty() || name.contains("/")) throw new IllegalArgumentException("bad namespace name: " + name);
        return new NetNamespace(Path.of("/run/netns", name));
    }

    public static NetNamespace at(Path path) {
        return new NetNamespace(path);
    }

    public Path path() {
        return path;
    }

    public boolean exists() {
        return Files.exists(path);
    }

    /**
     * Runs {@code task} on a new platform thread that has entered this namespace, and returns its result.
     * Exceptions the task throws reach the caller unchanged.
     *
     * @throws NetnsException when the namespace cannot be entered (missing, or no CAP_SYS_ADMIN)
     */
    public <T> T call(Callable<T> task) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().name("netns " + path).unstarted(() -> {
            try {
                enterOnThisThread();
                result.set(task.call());
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        thread.start();
        thread.join();
        Throwable t = failure.get();
        if (t instanceof Exception e) throw e;
        if (t instanceof Error e) throw e;
        return result.get();
    }

    /** {@link #call} for tasks that throw no checked exception. */
    public <T> T get(java.util.function.Supplier<T> task) {
        try {
            return call(task::get);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@link #call} without a result. */
    public void run(Runnable task) {
        get(() -> {
            task.run();
            return null;
        });
    }

    /**
     * A netlink socket of this namespace ({@code protocol}: {@code NETLINK_NETFILTER}, {@code NETLINK_SOCK_DIAG},
     * …) whose receives wait at most 2 s, so that a lost reply cannot hang a migration's freeze. The caller closes
     * it.
     */
    public int netlinkSocket(int protocol) {
        int fd = get(() -> Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, protocol));
        try {
            Libc.setReceiveTimeout(fd, 2);
        } catch (RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
        return fd;
    }

    /**
     * The command line that runs {@code command} inside this namespace: {@code nsenter --net=PATH -- command}.
     * Unlike {@code ip netns exec} it leaves the mount namespace alone, which CRIU needs.
     */
    public List<String> command(String... command) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=" + path, "--"));
        cmd.addAll(List.of(command));
        return cmd;
    }

    /**
     * Runs an external command inside this namespace ({@link #command}) and returns its standard output.
     *
     * @throws NetnsException with the command's standard error when it fails
     */
    public String exec(String stdin, String... command) {
        return Commands.run(command(command), stdin);
    }

    private void enterOnThisThread() {
        int fd;
        try {
            fd = Libc.open(path.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
        } catch (ErrnoException e) {
            throw new NetnsException("network namespace " + path + " does not exist or cannot be opened", e);
        }
        try {
            Libc.setns(fd, Libc.CLONE_NEWNET);
        } catch (ErrnoException e) {
            throw new NetnsException("cannot enter network namespace " + path
                    + (e.errno() == Libc.EPERM ? ": needs CAP_SYS_ADMIN" : ""), e);
        } finally {
            Libc.close(fd);
        }
    }

    @Override
    public String toString() {
        return "netns " + path;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NetNamespace n && n.path.equals(path);
    }

    @Override
    public int hashCode() {
        return path.hashCode();
    }
}
