package dev.baton.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.netns.NetNamespace;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link StreamEndpoint} running as its own process inside a network namespace, driven over its stdin and
 * stdout. Closing it ends the process (by its own PID; it is our child).
 */
public final class EndpointProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The endpoint's counters: stream offsets written and read, the first bad byte, the longest read gap. */
    public record Stats(long written, long read, long mismatchAt, double longestGapMs, String failure) {
        public boolean clean() {
            return mismatchAt < 0 && failure == null;
        }
    }

    private final String name;
    private final Process process;
    private final PrintStream commands;
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    private EndpointProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.commands = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread.ofPlatform().daemon().name(name + " stdout").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) events.add(line);
            } catch (IOException ignored) {
                // the process ended
            }
            events.add("EXITED");
        });
    }

    /** Starts {@code StreamEndpoint args...} inside {@code netns}, with this JVM's java and class path. */
    public static EndpointProcess start(String name, NetNamespace netns, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(netns.command(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx96m",
                "-cp", System.getProperty("java.class.path"), StreamEndpoint.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new EndpointProcess(name, p);
    }

    public int pid() {
        return (int) process.pid();
    }

    public String name() {
        return name;
    }

    /** Waits for an event line that starts with {@code prefix}; fails on ERROR, exit or timeout. */
    public String await(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) throw new IllegalStateException(name + ": no " + prefix + " within " + timeout);
            if (line.startsWith(prefix)) return line;
            if (line.startsWith("ERROR") || line.equals("EXITED")) {
                throw new IllegalStateException(name + " failed while waiting for " + prefix + ": " + line);
            }
        }
    }

    public void send(String command) {
        commands.println(command);
    }

    public Stats stats() throws Exception {
        send("STATS");
        String line = await("STATS ", Duration.ofSeconds(10));
        return JSON.readValue(line.substring("STATS ".length()), Stats.class);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Ends the process at once (SIGKILL to our own child) and waits for it. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
    }

    /** Ends the process if it still runs and waits for it. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            send("EXIT");
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
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
