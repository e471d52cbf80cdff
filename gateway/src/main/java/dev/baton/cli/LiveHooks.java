package dev.baton.cli;

import dev.baton.ckpt.agent.Hooks;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Prints an agent call's hooks and progress as they arrive, with the time since the call started and the host
 * they come from, and lets the operation go on:
 * <pre>
 *   +0.004s a  network-lock (pid 4242)
 *   +0.310s a  seal 24.0 of 50.0 MiB
 * </pre>
 * Progress of one step is printed at most twice a second, and always when it completes. It acts at no point, so
 * the agents do not wait for it.
 */
final class LiveHooks implements Hooks {
    private static final long PROGRESS_EVERY_NS = 500_000_000L;

    private final PrintWriter out;
    private final String here;
    private final long start = System.nanoTime();
    private final Map<String, Long> lastPrinted = new HashMap<>();

    /** For calls on agents: every hook names its host. */
    LiveHooks(PrintWriter out) {
        this(out, "?");
    }

    /** For operations run by this command itself: their hooks carry no host, they are shown as {@code here}. */
    LiveHooks(PrintWriter out, String here) {
        this.out = out;
        this.here = here;
    }

    @Override
    public Set<String> actsAt() {
        return Set.of();
    }

    @Override
    public void reached(String point, long pid) {
        reached(here, point, pid);
    }

    @Override
    public void progress(String step, long done, long total) {
        progress(here, step, done, total);
    }

    @Override
    public synchronized void reached(String host, String point, long pid) {
        out.printf("%s %s  %s%s%n", elapsed(), host, point, pid > 0 ? " (pid " + pid + ")" : "");
        out.flush();
    }

    @Override
    public synchronized void progress(String host, String step, long done, long total) {
        long now = System.nanoTime();
        Long last = lastPrinted.get(host + " " + step);
        boolean complete = total >= 0 && done >= total;
        if (!complete && last != null && now - last < PROGRESS_EVERY_NS) return;
        lastPrinted.put(host + " " + step, now);
        out.printf("%s %s  %s %s%s%n", elapsed(), host, step, mib(done), total >= 0 ? " of " + mib(total) : "");
        out.flush();
    }

    private String elapsed() {
        return String.format("+%.3fs", (System.nanoTime() - start) / 1e9);
    }

    static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    /** "connect 3.1 ms, dump 512.0 ms" */
    static String phases(Map<String, Double> phasesMs) {
        StringBuilder s = new StringBuilder();
        phasesMs.forEach((phase, ms) -> s.append(s.isEmpty() ? "" : ", ").append(phase)
                .append(String.format(" %.1f ms", ms)));
        return s.isEmpty() ? "-" : s.toString();
    }
}
