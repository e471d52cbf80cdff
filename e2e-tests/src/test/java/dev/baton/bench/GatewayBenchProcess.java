package dev.baton.bench;

import dev.baton.netns.NetNamespace;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A process of the gateway benchmark, started inside a network namespace ({@code nsenter} execs the command, so
 * {@link #pid()} is the program's own PID — the one whose memory is read; so does {@code taskset} when the
 * process is bound to CPUs). Two kinds: a Java helper of this
 * package driven by lines on stdin and answering with lines on stdout ({@link #java}), or a program under test
 * whose output goes to a log file ({@link #program}). {@link #close()} ends it by its PID and waits for it.
 */
final class GatewayBenchProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final PrintStream commands;
    private final Path log;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private GatewayBenchProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.commands = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        if (log == null) {
            Thread.ofPlatform().daemon().name(name + " stdout").start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) lines.add(line);
                } catch (IOException ignored) {
                    // the process ended
                }
                lines.add("EXITED");
            });
        }
    }

    /**
     * Starts {@code main args...} inside {@code netns} with this JVM's java and class path; its stderr is
     * this process's. The helper mains end when their stdin closes, so they cannot outlive the harness.
     */
    static GatewayBenchProcess java(String name, NetNamespace netns, String cpus, Class<?> main, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaCommand(), "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(netns.command(onCpus(cpus, cmd).toArray(String[]::new)))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new GatewayBenchProcess(name, p, null);
    }

    /** Starts a program under test inside {@code netns}, its stdout and stderr going to {@code log}. */
    static GatewayBenchProcess program(String name, NetNamespace netns, String cpus, List<String> command,
                                       Map<String, String> env, Path log) throws IOException {
        ProcessBuilder b = new ProcessBuilder(netns.command(onCpus(cpus, command).toArray(String[]::new)))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        b.environment().putAll(env);
        return new GatewayBenchProcess(name, b.start(), log);
    }

    /** {@code command} bound to the CPUs {@code cpus} ("0", "2-3", "0,2") with taskset, which execs it; null: anywhere. */
    static List<String> onCpus(String cpus, List<String> command) {
        if (cpus == null) return command;
        List<String> cmd = new ArrayList<>(List.of("taskset", "-c", cpus));
        cmd.addAll(command);
        return cmd;
    }

    /** How many CPUs a taskset list names; all of this machine's for null. */
    static int cpuCount(String cpus) {
        if (cpus == null) return Runtime.getRuntime().availableProcessors();
        int n = 0;
        for (String part : cpus.split(",")) {
            String[] range = part.split("-");
            n += range.length == 1 ? 1 : Integer.parseInt(range[1]) - Integer.parseInt(range[0]) + 1;
        }
        return n;
    }

    static String javaCommand() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    int pid() {
        return (int) process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Sends {@code command} and waits for its answer line {@code prefix ...}; returns what follows the prefix. */
    String ask(String command, String prefix, Duration timeout) throws InterruptedException {
        commands.println(command);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) throw new IllegalStateException(name + ": no answer to " + command + " within " + timeout);
            if (line.startsWith(prefix + " ")) return line.substring(prefix.length() + 1);
            if (line.startsWith("ERROR") || line.equals("EXITED")) {
                throw new IllegalStateException(name + " failed on " + command + ": " + line);
            }
        }
    }

    /** Waits for the line {@code expected} (a helper's start-up signal). */
    void await(String expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) throw new IllegalStateException(name + ": no " + expected + " within " + timeout);
            if (line.equals(expected)) return;
            if (line.startsWith("ERROR") || line.equals("EXITED")) {
                throw new IllegalStateException(name + " failed before " + expected + ": " + line);
            }
        }
    }

    /** The last lines of a program's log, for error messages. */
    String logTail() {
        if (log == null) return "";
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - 15), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Ends the process: SIGTERM to its PID, SIGKILL after 5 s; waits for it. Idempotent. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
        commands.close();
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ")";
    }
}
