package dev.baton.cli;

import dev.baton.ckpt.agent.Hooks;

import java.io.PrintWriter;

/**
 * Shows a long operation as it goes: each point reached on its own line, byte progress of a step as a percentage
 * at most every 10 %, on the command's error stream so that its output stays clean for scripts.
 */
final class ProgressReport implements Hooks {
    private final PrintWriter err;
    private final String host;
    private String step;
    private long lastTenth = -1;

    ProgressReport(PrintWriter err, String host) {
        this.err = err;
        this.host = host;
    }

    @Override
    public void reached(String point, long pid) {
        err.printf("  %s%s%s%n", host == null ? "" : "[" + host + "] ", point, pid > 0 ? " (pid " + pid + ")" : "");
        err.flush();
    }

    @Override
    public synchronized void progress(String step, long done, long total) {
        if (!step.equals(this.step)) {
            this.step = step;
            lastTenth = -1;
        }
        if (total <= 0) return;
        long tenth = done * 10 / total;
        if (tenth == lastTenth) return;
        lastTenth = tenth;
        err.printf("  %s%s %3d%% of %s%n", host == null ? "" : "[" + host + "] ", step, tenth * 10, Sizes.bytes(total));
        err.flush();
    }
}
