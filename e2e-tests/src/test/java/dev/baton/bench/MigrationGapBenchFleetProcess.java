package dev.baton.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.netns.NetNamespace;
import dev.baton.socket.StateJson;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@link MigrationGapBenchFleet} as a process of its own in a network namespace (this JVM's java and class path),
 * driven over stdin/stdout. {@link #close()} ends it by its own PID.
 */
final class MigrationGapBenchFleetProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One window of the fleet's view; see {@link MigrationGapBenchFleet}. */
    record Stats(int connections, double maxGapMs, double medianGapMs, double silentNowMs, long written, long read,
                 int failures, long mismatches, String firstFailure) {
        boolean clean() {
            return failures == 0 && mismatches == 0;
        }
    }

    private final Process process;
    private final PrintStream commands;
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    private MigrationGapBenchFleetProcess(Process process) {
        this.process = process;
        this.commands = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread.ofPlatform().daemon().name("fleet stdout").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) events.add(line);
            } catch (IOException ignored) {
                // the process ended
            }
            events.add("EXITED");
        });
    }

    /** Starts {@code connections} peers to {@code target} inside {@code netns}; returns once all are connected. */
    static MigrationGapBenchFleetProcess start(NetNamespace netns, InetSocketAddress target, int connections,
                                               int messagesPerSecond) throws Exception {
        List<String> cmd = new ArrayList<>(netns.command(ProcessHandle.current().info().command().orElse("java"),
                "-XX:+UseSerialGC", "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                MigrationGapBenchFleet.class.getName(), StateJson.format(target), Integer.toString(connections),
                Integer.toString(messagesPerSecond)));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        MigrationGapBenchFleetProcess fleet = new MigrationGapBenchFleetProcess(p);
        try {
            fleet.await("CONNECTED", Duration.ofSeconds(60));
            return fleet;
        } catch (Exception | Error e) {
            fleet.close();
            throw e;
        }
    }

    /** A new gap window from now. */
    void reset() {
        commands.println("RESET");
    }

    Stats stats() throws Exception {
        commands.println("STATS");
        String line = await("STATS ", Duration.ofSeconds(10));
        return JSON.readValue(line.substring("STATS ".length()), Stats.class);
    }

    private String await(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) throw new IllegalStateException("the peer fleet printed no " + prefix + " within " + timeout);
            if (line.startsWith(prefix)) return line;
            if (line.startsWith("ERROR") || line.equals("EXITED")) {
                throw new IllegalStateException("the peer fleet failed while waiting for " + prefix + ": " + line);
            }
        }
    }

    /** Ends the process (EXIT, then SIGKILL to our own child) and waits for it. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            commands.println("EXIT");
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        commands.close();
    }
}
