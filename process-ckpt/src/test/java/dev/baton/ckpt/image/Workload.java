package dev.baton.ckpt.image;

import dev.baton.ckpt.workload.Workloads;
import dev.baton.netns.NetnsLab.Host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Python program run as a migratable workload ({@link Workloads}, as {@code baton run} does) in a lab host's
 * network namespace. {@link #pid()} is the process to dump: PID 1 of its namespace, which ignores SIGTERM;
 * {@link #close()} kills it with SIGKILL, by PID.
 */
final class Workload implements AutoCloseable {
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    private final long pid;
    private final Path out;
    private final Path err;

    private Workload(long pid, Path out, Path err) {
        this.pid = pid;
        this.out = out;
        this.err = err;
    }

    /** Writes {@code script} to {@code dir} and runs it with {@code args} on {@code host}. */
    static Workload start(Host host, Path dir, String script, String... args) throws IOException {
        Path program = dir.resolve("workload.py");
        Files.writeString(program, script);
        List<String> cmd = new ArrayList<>(List.of(PYTHON, program.toString()));
        cmd.addAll(List.of(args));
        var w = new Workloads(dir.resolve("workloads")).start("w", cmd, host.nsName());
        return new Workload(w.rootPid(), w.stdout(), w.stderr());
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
        ProcessHandle.of(pid).ifPresent(p -> p.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> p).join());
    }
}
