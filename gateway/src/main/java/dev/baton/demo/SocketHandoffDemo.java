package dev.baton.demo;

import dev.baton.netns.NetnsLab;
import dev.baton.peer.SocketHandoff;
import dev.baton.socket.StateJson;
import dev.baton.socket.audit.WireReport;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * Act 1 of {@code baton demo}: a live TCP connection moves between two hosts with different IPs while both ends
 * stream checked bytes, and the peer — a separate process — keeps its socket. Everything runs in network
 * namespaces made for the demo and deleted afterwards.
 */
public final class SocketHandoffDemo {
    private static final int RATE = 200_000;

    private SocketHandoffDemo() {}

    /** Runs the demo for about {@code duration}, moving the connection a few times; returns the exit code. */
    public static int run(PrintWriter out, Duration duration, int moves) throws Exception {
        out.println("Act 1: a socket moves. A live TCP connection moves to a new process on a host with another IP;");
        out.println("the peer keeps its socket and keeps streaming.");
        out.println();
        try (HandoffScenario s = HandoffScenario.start(RATE)) {
            for (NetnsLab.Host h : s.lab().hosts()) {
                out.printf("  host %-5s %-15s (network namespace %s)%n", h.name(), h.address().getHostAddress(),
                        h.nsName());
            }
            out.printf("%n  peer (pid %d) on %s streams to the workload (pid %d) on %s, %d kB/s each way,%n"
                            + "  every byte checked at the other end.%n%n", s.peer().pid(),
                    s.lab().host("peer").address().getHostAddress(), s.owner().pid(),
                    StateJson.format(s.serviceAddress("a")), RATE / 1000);
            long pauseMillis = Math.max(300, duration.toMillis() / (moves + 1));
            for (int i = 1; i <= moves; i++) {
                Thread.sleep(pauseMillis);
                String from = s.ownerHost();
                SocketHandoff.Result r = s.handoff();
                out.printf("  move %d: %s -> %s  frozen %.1f ms (hold %.1f, capture %.1f, rebuild %.1f, re-point %.1f,"
                                + " release %.1f); %d B in flight moved%n", i, from, s.ownerHost(), ms(r.frozen()),
                        ms(r.hold()), ms(r.capture()), ms(r.rebuild()), ms(r.repoint()), ms(r.release()),
                        r.heldSendBytes() + r.heldReceiveBytes());
                out.printf("          %s is now served by %s (new pid %d); the peer's fd is unchanged%n",
                        StateJson.format(r.peer()), StateJson.format(r.to()), s.owner().pid());
            }
            Thread.sleep(pauseMillis);
            EndpointProcess.Stats[] done = s.drain(Duration.ofSeconds(20));
            EndpointProcess.Stats peer = done[0], owner = done[1];
            boolean clean = peer.clean() && owner.clean();
            out.println();
            out.printf("  peer -> workload: %,d bytes sent, %,d received, %s%n", peer.written(), owner.read(),
                    owner.clean() ? "all verified" : "MISMATCH at " + owner.mismatchAt());
            out.printf("  workload -> peer: %,d bytes sent, %,d received, %s%n", owner.written(), peer.read(),
                    peer.clean() ? "all verified" : "MISMATCH at " + peer.mismatchAt());
            out.printf("  longest pause the peer saw between two reads: %.1f ms%n", peer.longestGapMs());
            WireReport wire = s.audit();
            out.printf("  on the wire at the peer: %d RST; %s%n", wire.rstCount(), wire.summary());
            clean &= wire.isClean();
            out.println();
            out.println(clean ? "OK: the connection survived every move, byte for byte, with no RST on the wire."
                    : "FAILED: the streams did not arrive intact, or the wire shows a RST or a gap.");
            return clean ? 0 : 1;
        }
    }

    private static double ms(Duration d) {
        return d.toNanos() / 1e6;
    }
}
