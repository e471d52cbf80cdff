package dev.baton.demo;

import dev.baton.ckpt.workload.Workload;
import dev.baton.demo.ProcessMigrationScenario.Continuity;
import dev.baton.demo.ProcessMigrationScenario.Migration;
import dev.baton.demo.ProcessMigrationScenario.Tick;
import dev.baton.netns.NetnsLab;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.StateJson;
import dev.baton.socket.audit.WireReport;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

import static dev.baton.demo.ProcessMigrationScenario.WORKLOAD;

/**
 * Act 2 of {@code baton demo}: a whole process moves. EchoCounter — a JVM that keeps counters in memory — serves
 * a live connection to a peer that checks every byte; CRIU checkpoints it on host a, Baton seals the images into
 * an encrypted, signed bundle and restores it on host b (another IP) with its socket's address rewritten, the peer
 * re-pointed in place; then back to a. Everything runs in network namespaces and a temporary directory made for the
 * act and deleted afterwards ({@link ProcessMigrationScenario}).
 */
public final class ProcessMigrationDemo {
    private static final int RATE = 100_000;
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<List<String>> MOVES = List.of(List.of("a", "b"), List.of("b", "a"));

    private ProcessMigrationDemo() {}

    /** Runs the act, about {@code duration} of streaming around the two moves; returns the exit code. */
    public static int run(PrintWriter out, Duration duration) throws Exception {
        out.println("Act 2: a whole process moves. EchoCounter, a JVM that counts ticks and echoed bytes in memory,");
        out.println("is checkpointed by CRIU, sealed into an encrypted, signed bundle and restored on another host");
        out.println("with another IP, its live connection included; the peer is re-pointed in place.");
        out.println();
        ProcessMigrationScenario scenario = ProcessMigrationScenario.start(RATE);
        // The workloads run in PID namespaces of their own, out of the terminal's reach: Ctrl-C must end them too.
        Thread cleanUp = new Thread(scenario::close, "demo clean-up");
        Runtime.getRuntime().addShutdownHook(cleanUp);
        try (ProcessMigrationScenario s = scenario) {
            for (NetnsLab.Host h : s.hosts()) {
                out.printf("  host %-5s %-15s (network namespace %s)%n", h.name(), h.address().getHostAddress(),
                        h.nsName());
            }
            Workload w = s.workloads().get(WORKLOAD);
            EndpointProcess peer = s.peer();
            SocketEntry peerSocket = s.peerSocket();
            out.printf("%n  EchoCounter (pid %d) serves %s; the peer (pid %d) on %s streams %d kB/s to it%n"
                            + "  and checks every byte that comes back. Images, bundles and keys: %s (deleted after).%n%n",
                    w.rootPid(), StateJson.format(s.service("a")), peer.pid(),
                    s.host("peer").address().getHostAddress(), RATE / 1000, s.home());
            s.awaitEchoed(1, WAIT);

            boolean clean = true;
            long pauseMillis = Math.max(500, duration.toMillis() / (MOVES.size() + 1));
            int i = 0;
            for (List<String> move : MOVES) {
                Thread.sleep(pauseMillis);
                peer.send("RESET"); // the longest wait between two reads is measured per move
                long readBefore = peer.stats().read();
                Migration m = s.migrate(move.get(0), move.get(1));
                Continuity ticks = s.continuity(WORKLOAD, m.outputLinesAtDump());
                s.awaitEchoed(readBefore + RATE / 4, WAIT); // the stream flows again
                SocketEntry peerNow = ProcessMigrationScenario.peerConnection(peer.pid());
                boolean samePeerSocket = peerNow.fd() == peerSocket.fd() && peerNow.inode() == peerSocket.inode()
                        && peerNow.remote().equals(s.service(m.to()));
                clean &= ticks.continued() && samePeerSocket;
                printMove(out, ++i, m);
                out.printf("          EchoCounter runs on %s now (pid %d): last tick on %s %d, first on %s %d%s%n",
                        m.to(), m.restoredPid(), m.from(), ticks.lastBefore().n(), m.to(), ticks.firstAfter().n(),
                        ticks.continued() ? "" : " (NOT CONTINUED)");
                out.printf("          the peer %s (fd %d), aimed at %s; its longest wait between two reads %.1f ms%n",
                        samePeerSocket ? "kept its socket" : "did NOT keep its socket", peerNow.fd(),
                        StateJson.format(peerNow.remote()), peer.stats().longestGapMs());
            }
            Thread.sleep(pauseMillis);

            EndpointProcess.Stats end = s.drain(WAIT);
            Tick last = lastTick(w, end.written());
            List<Tick> all = ProcessMigrationScenario.ticks(w);
            boolean counted = last.echoed() == end.written();
            boolean countedOn = ProcessMigrationScenario.countsOn(all) && ProcessMigrationScenario.startedOnce(w);
            clean &= end.clean() && counted && countedOn;
            out.println();
            out.printf("  peer -> EchoCounter: %,d bytes sent, %,d counted by EchoCounter in its memory%s%n",
                    end.written(), last.echoed(), counted ? "" : " (MISMATCH)");
            out.printf("  EchoCounter -> peer: %,d bytes echoed back, %s%n", end.read(),
                    end.clean() ? "all verified" : "MISMATCH at " + end.mismatchAt() + " " + end.failure());
            out.printf("  EchoCounter ticked %d to %d %s%n", all.getFirst().n(), all.getLast().n(),
                    countedOn ? "without a restart: it started once, its memory moved with it"
                            : "with a restart or a jump: NOT the same process state");
            WireReport wire = s.audit();
            out.printf("  on the wire at the peer: %d RST; %s%n", wire.rstCount(), wire.summary());
            clean &= wire.isClean();
            out.println();
            out.println(clean ? "OK: the process moved a -> b -> a with its memory and its connection; every byte came"
                    + " back, no RST on the wire."
                    : "FAILED: the state did not continue, the stream did not arrive intact, or the wire shows a RST"
                    + " or a gap.");
            return clean ? 0 : 1;
        } finally {
            Runtime.getRuntime().removeShutdownHook(cleanUp);
        }
    }

    /**
     * One move: the peer's freeze, each step (with CRIU's own part of the dump and the restore), the bundle and
     * what reconciling the send queue did.
     */
    private static void printMove(PrintWriter out, int i, Migration m) {
        out.printf(Locale.ROOT, "  move %d: %s -> %s  peer frozen %.1f ms%n", i, m.from(), m.to(), m.frozenMs());
        StringBuilder steps = new StringBuilder();
        m.stepsMs().forEach((step, ms) -> {
            if (!steps.isEmpty()) steps.append(", ");
            steps.append(step).append(' ').append(ms(ms));
            if (step.equals("dump")) steps.append(" (CRIU ").append(ms(m.dumpMs().get("dump"))).append(')');
            if (step.equals("restore")) {
                steps.append(" (verify+unpack ").append(ms(m.restoreMs().get("open"))).append(", rewrite ")
                        .append(ms(m.restoreMs().get("rewrite"))).append(", CRIU ")
                        .append(ms(m.restoreMs().get("restore"))).append(')');
            }
        });
        out.println(wrap("          steps (ms): ", steps.toString()));
        out.printf(Locale.ROOT, "          bundle %.1f MiB, encrypted and signed; send queue: %d B the peer already had"
                        + " trimmed, %d B left to send at once%n", m.bundleBytes() / 1048576.0, m.trim().droppedBytes(),
                m.trim().unsentAfter());
    }

    /** Waits (up to 5 s: EchoCounter prints every 100 ms) for a tick that has counted {@code echoed} bytes. */
    private static Tick lastTick(Workload w, long echoed) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            Tick last = ProcessMigrationScenario.ticks(w).getLast();
            if (last.echoed() >= echoed || System.nanoTime() > deadline) return last;
            Thread.sleep(50);
        }
    }

    private static String ms(Double ms) {
        return ms == null ? "?" : String.format(Locale.ROOT, "%.1f", ms);
    }

    /** {@code text} after {@code prefix}, wrapped at commas to lines of at most 112 characters. */
    private static String wrap(String prefix, String text) {
        String indent = " ".repeat(prefix.length());
        StringBuilder out = new StringBuilder(prefix);
        int lineStart = 0;
        for (String part : text.split("(?<=, )")) {
            if (out.length() - lineStart + part.length() > 112) {
                while (out.charAt(out.length() - 1) == ' ') out.setLength(out.length() - 1);
                out.append(System.lineSeparator()).append(indent);
                lineStart = out.length() - indent.length();
            }
            out.append(part);
        }
        return out.toString().stripTrailing();
    }
}
