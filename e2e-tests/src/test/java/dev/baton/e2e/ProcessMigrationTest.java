package dev.baton.e2e;

import dev.baton.ckpt.workload.Workload;
import dev.baton.demo.EndpointProcess;
import dev.baton.e2e.ProcessMigrationLab.Migration;
import dev.baton.e2e.ProcessMigrationLab.Tick;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.StateJson;
import dev.baton.socket.audit.WireReport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.baton.e2e.ProcessMigrationLab.awaitTicks;
import static dev.baton.e2e.ProcessMigrationLab.outputOf;
import static dev.baton.e2e.ProcessMigrationLab.ticks;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Whole-process migration: a stateful server (EchoCounter, a JVM) is checkpointed by CRIU on host a, sealed into
 * a bundle, and restored on host b with its socket's address rewritten, while its peer keeps its connection — and
 * everything that goes wrong on the way leaves the workload running or restorable where it was.
 */
@Tag("privileged")
class ProcessMigrationTest {
    private static final int RATE = 100_000;

    @TempDir
    Path home;

    @Test
    void aWorkloadWithALiveConnectionMovesToAnotherHostAndBackWhileItsPeerStreamsOnByteExact() throws Exception {
        try (ProcessMigrationLab m = ProcessMigrationLab.create(home)) {
            Workload w = m.startEchoCounter("echo", "a");
            try (EndpointProcess peer = EndpointProcess.start("peer", m.host("peer").netns(), "connect",
                    StateJson.format(m.service("a")), "--echo", "--rate", Integer.toString(RATE))) {
                peer.await("CONNECTED", Duration.ofSeconds(30));
                SocketEntry peerEnd = ProcessMigrationLab.peerConnection(peer.pid());
                awaitEchoed(peer, RATE / 2);

                for (String[] move : List.of(new String[]{"a", "b"}, new String[]{"b", "a"})) {
                    peer.send("RESET"); // the longest gap is measured per move
                    long readBefore = peer.stats().read();
                    Migration done = m.migrate("echo", peer.pid(), move[0], move[1]);
                    awaitEchoed(peer, readBefore + RATE);
                    EndpointProcess.Stats stats = peer.stats();
                    System.out.printf("%s%n  peer's longest read gap %.1f ms%n", done, stats.longestGapMs());
                    assertTrue(stats.clean(), "the peer read its echo back byte for byte: " + stats);
                    assertEquals(m.host(move[1]).nsName(), m.workloads().get("echo").netns(),
                            "the workload is recorded in " + move[1]);
                    assertContinued(w, done);
                }

                peer.send("STOP");
                EndpointProcess.Stats end = drained(peer);
                assertTrue(end.clean(), "the whole echoed stream came back byte for byte: " + end);
                assertEquals(1, outputOf(w).stream().filter(l -> l.startsWith("LISTENING")).count(),
                        "EchoCounter started once: it was moved, never restarted");
                assertCleanWire(m.audit(peerEnd.local()), end.read());
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * The workload's ticks go on from where the dump froze them: the first tick after the restore follows the last
     * one before it, the count never restarts, and the echoed counter keeps growing after the move.
     */
    private static void assertContinued(Workload w, Migration done) throws Exception {
        List<Tick> atDump = ticks(outputOf(w).subList(0, done.outputLinesAtDump()));
        List<Tick> all = awaitTicks(w, atDump.size(), 5);
        assertCounting(all);
        Tick lastBefore = atDump.getLast();
        Tick firstAfter = all.get(atDump.size());
        assertTrue(firstAfter.n() > lastBefore.n(), "first tick after the restore " + firstAfter
                + " comes after the last before the dump " + lastBefore);
        assertTrue(all.getLast().echoed() > lastBefore.echoed(), "echoed went on after the move: " + lastBefore
                + " then " + all.getLast());
    }

    /** Ticks go 0, 1, 2, … without a restart (back to 0) or a jump. */
    private static void assertCounting(List<Tick> ticks) {
        for (int i = 0; i < ticks.size(); i++) {
            assertEquals(i, ticks.get(i).n(), "tick numbers count on without restarting: " + ticks);
            if (i > 0) {
                assertTrue(ticks.get(i).echoed() >= ticks.get(i - 1).echoed(), "echoed never goes back: " + ticks);
            }
        }
    }

    /** Waits until the peer has read at least {@code bytes} of its echo. */
    private static void awaitEchoed(EndpointProcess peer, long bytes) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            EndpointProcess.Stats s = peer.stats();
            if (s.read() >= bytes) return;
            if (!s.clean() || System.nanoTime() > deadline) fail("the echo did not reach " + bytes + " bytes: " + s);
            Thread.sleep(50);
        }
    }

    /** After STOP: waits until the peer has read back everything it wrote. */
    private static EndpointProcess.Stats drained(EndpointProcess peer) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            EndpointProcess.Stats s = peer.stats();
            if (s.read() == s.written()) return s;
            if (!s.clean() || System.nanoTime() > deadline) fail("the echo did not drain: " + s);
            Thread.sleep(50);
        }
    }

    private static void assertCleanWire(WireReport wire, long bytesToPeer) {
        System.out.println("wire at the peer: " + wire.summary());
        assertEquals(0, wire.rstCount(), "no RST on the wire: " + wire);
        assertEquals(0, wire.toPeer().unfilledHoleBytes() + wire.fromPeer().unfilledHoleBytes(), "no hole: " + wire);
        assertTrue(wire.toPeer().payloadBytes() >= bytesToPeer, "the wire carried the whole stream: " + wire);
    }
}
