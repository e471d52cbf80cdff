package dev.baton.bench;

import dev.baton.demo.EndpointProcess;
import dev.baton.demo.HandoffScenario;
import dev.baton.peer.SocketHandoff;
import dev.baton.socket.SocketCapture;
import dev.baton.socket.audit.WireReport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The single-connection handoff benchmark behind BENCHMARKS.md: a peer process and a workload stream
 * 200 kB/s (or the rate given) each way; the workload's end moves between two hosts with different IPs. Reports each move's freeze
 * and the longest silence the peer saw, against the longest silence of the same stream without moves,
 * measured in the same run. Run with {@code scripts/bench-handoff.sh [moves] [bytes/s]}.
 */
public final class HandoffBench {

    /** A second of streaming before anything is measured, so both processes' JIT has settled. */
    private static void warmUp(HandoffScenario s) throws InterruptedException {
        Thread.sleep(1000);
        s.resetGaps();
    }

    public static void main(String[] args) throws Exception {
        int moves = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        Duration between = Duration.ofMillis(400);
        SocketCapture.warmUp();

        double baselineGap;
        WireReport baselineWire;
        try (HandoffScenario s = HandoffScenario.start(rate)) {
            warmUp(s);
            Thread.sleep(between.toMillis() * (moves + 1));
            EndpointProcess.Stats[] done = s.drain(Duration.ofSeconds(20));
            baselineGap = done[0].longestGapMs();
            baselineWire = s.audit();
        }

        List<Double> frozen = new ArrayList<>();
        double movedGap;
        WireReport wire;
        try (HandoffScenario s = HandoffScenario.start(rate)) {
            warmUp(s);
            for (int i = 0; i < moves; i++) {
                Thread.sleep(between.toMillis());
                SocketHandoff.Result r = s.handoff();
                frozen.add(r.frozen().toNanos() / 1e6);
                System.out.printf(Locale.ROOT, "move %2d: %s%n", i + 1, r);
            }
            Thread.sleep(between.toMillis());
            EndpointProcess.Stats[] done = s.drain(Duration.ofSeconds(20));
            if (!done[0].clean() || !done[1].clean()) throw new IllegalStateException("stream damaged: " + done[0] + done[1]);
            movedGap = done[0].longestGapMs();
            wire = s.audit();
        }
        frozen.sort(Double::compare);
        System.out.println();
        System.out.printf(Locale.ROOT, "%d B/s each way; wire without moves: %s%n", rate, baselineWire.summary());
        System.out.printf(Locale.ROOT, "wire with moves: %s%n", wire.summary());
        System.out.printf(Locale.ROOT, "| moves | freeze median ms | freeze max ms | peer's longest silence ms | same stream without moves ms | ratio | RST | retrans | dup | bytes never delivered |%n");
        System.out.printf(Locale.ROOT, "|---|---|---|---|---|---|---|---|---|---|%n");
        System.out.printf(Locale.ROOT, "| %d | %.1f | %.1f | %.1f | %.1f | %.1f× | %d | %d | %d | %d |%n", moves,
                frozen.get(frozen.size() / 2), frozen.getLast(), movedGap, baselineGap, movedGap / baselineGap,
                wire.rstCount(), wire.toPeer().retransmissions() + wire.fromPeer().retransmissions(),
                wire.toPeer().duplicates() + wire.fromPeer().duplicates(),
                wire.toPeer().unfilledHoleBytes() + wire.fromPeer().unfilledHoleBytes());
    }
}
