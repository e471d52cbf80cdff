package dev.baton.ckpt.criu;

import dev.baton.ckpt.workload.Workloads;
import dev.baton.netns.NetnsLab.Host;
import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A process tree started as a migratable workload ({@link Workloads}, as {@code baton run} does) in a lab host's
 * network namespace. {@link #root} is PID 1 of its PID namespace: the tree to dump. {@link #close()} kills it.
 */
final class Workload implements AutoCloseable {
    final int root;
    final Path out;
    final Path err;

    private Workload(int root, Path out, Path err) {
        this.root = root;
        this.out = out;
        this.err = err;
    }

    static Workload start(Host host, Path dir, String... command) {
        var w = new Workloads(dir.resolve("workloads")).start("w", List.of(command), host.nsName());
        return new Workload((int) w.rootPid(), w.stdout(), w.stderr());
    }

    /** The lines the workload has written to its standard output so far. */
    List<String> lines() throws IOException {
        return Files.exists(out) ? Files.readAllLines(out) : List.of();
    }

    /** Waits until the workload's output has at least {@code n} lines. */
    void awaitLines(int n) throws IOException {
        await(n + " lines of output from " + root + " (stderr: " + (Files.exists(err) ? Files.readString(err) : "") + ")",
                () -> {
                    try {
                        return lines().size() >= n;
                    } catch (IOException e) {
                        return false;
                    }
                }, Duration.ofSeconds(10));
    }

    /** Waits until the root is gone, as after a dump that killed it. */
    void awaitGone() {
        await("workload " + root + " to be gone", () -> !alive(root), Duration.ofSeconds(5));
    }

    static boolean alive(int pid) {
        try {
            char state = state(pid);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    /** Process state letter of {@code pid} (R, S, T, …). */
    static char state(int pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }

    /** SIGKILL (PID 1 of its namespace ignores SIGTERM), then waits until it is gone. */
    @Override
    public void close() {
        try {
            Libc.kill(root, Libc.SIGKILL);
        } catch (ErrnoException e) {
            if (e.errno() != Libc.ESRCH) throw e;
        }
        await("workload " + root + " to end", () -> !alive(root), Duration.ofSeconds(10));
    }

    static void await(String what, BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }
}
