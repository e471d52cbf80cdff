package dev.baton.ckpt.image;

import dev.baton.netns.NetnsLab.Host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A Python program run the way a migratable workload runs: in its own PID and mount namespace inside a lab
 * host's network namespace, detached, stdio opened inside (CRIU refuses fds opened in another mount namespace).
 * Started from Java, which passes no other fds. {@link #pid()} is the process to dump: PID 1 of its namespace,
 * which ignores SIGTERM; {@link #close()} kills it with SIGKILL, by PID.
 */
final class Workload implements AutoCloseable {
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    private final Process unshare;
    private final long pid;
    private final Path out;
    private final Path err;

    private Workload(Process unshare, long pid, Path out, Path err) {
        this.unshare = unshare;
        this.pid = pid;
        this.out = out;
        this.err = err;
    }

    /** Writes {@code script} to {@code dir} and runs it with {@code args} on {@code host}. */
    static Workload start(Host host, Path dir, String script, String... args) throws Exception {
        Path program = dir.resolve("workload.py");
        Files.writeString(program, script);
        Path out = dir.resolve("workload.out");
        Path err = dir.resolve("workload.err");
        List<String> cmd = new ArrayList<>(List.of("setsid"));
        cmd.addAll(host.command("unshare", "--pid", "--mount", "--fork", "--mount-proc", "--propagation", "private",
                "--", "sh", "-c", "exec 0</dev/null 1>>\"$1\" 2>>\"$2\"; shift 2; exec setsid \"$@\"", "baton-run",
                out.toString(), err.toString(), PYTHON, program.toString()));
        cmd.addAll(List.of(args));
        Process unshare = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> child = unshare.toHandle().children().findFirst();
            if (child.isPresent() && cmdline(child.get().pid()).contains(program.toString())) {
                return new Workload(unshare, child.get().pid(), out, err);
            }
            if (!unshare.isAlive()) break;
            Thread.sleep(10);
        }
        unshare.destroyForcibly();
        throw new AssertionError("workload did not start: " + (Files.exists(err) ? Files.readString(err) : ""));
    }

    private static String cmdline(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
        } catch (IOException gone) {
            return "";
        }
    }

    long pid() {
        return pid;
    }

    /** Waits until the workload has printed a line starting with {@code prefix} and returns that line. */
    String await(String prefix) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(out)) {
                for (String line : Files.readAllLines(out)) if (line.startsWith(prefix)) return line;
            }
            if (ProcessHandle.of(pid).isEmpty()) break;
            Thread.sleep(10);
        }
        throw new AssertionError("workload never printed '" + prefix + "'; stderr: "
                + (Files.exists(err) ? Files.readString(err) : ""));
    }

    @Override
    public void close() {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        // unshare exits with its child; if it does not, it is ours to kill.
        try {
            if (!unshare.waitFor(10, TimeUnit.SECONDS)) unshare.destroyForcibly();
        } catch (InterruptedException e) {
            unshare.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
