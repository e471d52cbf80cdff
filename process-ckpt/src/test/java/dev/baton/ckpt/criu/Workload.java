package dev.baton.ckpt.criu;

import dev.baton.netns.NetnsLab.Host;
import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A process tree started the way a migratable workload is: in a lab host's network namespace, in its own PID and
 * mount namespaces, detached from any terminal, stdio opened inside the new mount namespace, no inherited fds.
 * {@link #root} is unshare's child, PID 1 of the new namespace: the tree to dump. {@link #close()} kills it and
 * reaps what is ours.
 */
final class Workload implements AutoCloseable {
    private final Process unshare;
    final int root;
    final Path out;
    final Path err;

    private Workload(Process unshare, int root, Path out, Path err) {
        this.unshare = unshare;
        this.root = root;
        this.out = out;
        this.err = err;
    }

    static Workload start(Host host, Path dir, String... command) throws Exception {
        Path out = dir.resolve("out.txt"), err = dir.resolve("err.txt");
        List<String> cmd = new ArrayList<>(List.of("setsid", "nsenter", "--net=" + host.netns().path(),
                "unshare", "--pid", "--mount", "--fork", "--mount-proc", "--propagation", "private", "--",
                "sh", "-c", "exec 0</dev/null 1>>\"$1\" 2>>\"$2\"; shift 2; exec setsid \"$@\"", "baton-run",
                out.toString(), err.toString()));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            long root = await("unshare's child", () -> p.children().findFirst().isPresent(), Duration.ofSeconds(5),
                    () -> p.children().findFirst().orElseThrow().pid());
            return new Workload(p, (int) root, out, err);
        } catch (RuntimeException | Error e) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            throw e;
        }
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
                }, Duration.ofSeconds(10), () -> null);
    }

    static boolean alive(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
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

    static void kill(int pid) {
        try {
            Libc.kill(pid, Libc.SIGKILL);
        } catch (ErrnoException e) {
            if (e.errno() != Libc.ESRCH) throw e;
        }
    }

    @Override
    public void close() {
        kill(root); // PID 1 of its namespace ignores SIGTERM
        try {
            if (!unshare.waitFor(10, TimeUnit.SECONDS)) {
                unshare.destroyForcibly();
                unshare.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            unshare.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    static <T> T await(String what, BooleanSupplier condition, Duration timeout, java.util.function.Supplier<T> then) {
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
        return then.get();
    }
}
