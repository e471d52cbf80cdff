package dev.baton.e2e;

import dev.baton.demo.PacedFeeder;

import dev.baton.demo.EndpointProcess;
import dev.baton.demo.HandoffScenario;
import dev.baton.demo.StreamPattern;
import dev.baton.demo.StreamPattern.Direction;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpState;
import dev.baton.socket.audit.WireReport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Baton's promise with an unmodified program as the peer: the workload's end of the connection moves a → b → a
 * (another IP each time) while the peer — a stock Debian tool that knows nothing of Baton — keeps its process,
 * its fd and its connection, and sees only a pause.
 */
@Tag("privileged")
class StockPeerHandoffTest {
    private static final int RATE = 100_000;

    /**
     * socat echoes the workload's stream ({@code socat TCP:a:7000 EXEC:cat}): the workload checks every byte that
     * comes back, across both moves, so a byte lost, repeated or reordered in either direction shows.
     */
    @Test
    void aSocatEchoPeerKeepsItsConnectionWhileTheServerMovesToAnotherIp() throws Exception {
        try (HandoffScenario s = HandoffScenario.startWithStockPeer(RATE, true, (host, service) ->
                new ProcessBuilder(host.command("socat", "TCP:" + StateJson.format(service), "EXEC:cat")))) {
            int pid = s.peerPid();
            SocketEntry before = onlyTcpSocket(pid);
            assertEquals(s.serviceAddress("a"), before.remote());

            Moves.thereAndBack(s);

            EndpointProcess.Stats owner = s.drain(Duration.ofSeconds(20))[1];
            System.out.printf("socat echo: workload wrote %d, read back %d; longest read gap %.1f ms%n",
                    owner.written(), owner.read(), owner.longestGapMs());
            assertTrue(owner.clean(), "the echo came back byte for byte: " + owner);
            assertTrue(owner.read() > RATE, "the echo carried data across both moves: " + owner.read());

            assertPeerKeptItsSocket(s, pid, before);
            auditWire(s, owner.read());
        }
    }

    /**
     * netcat (openbsd) as a peer that does not echo: we feed its stdin with the client stream, which the workload
     * checks; it writes what it receives to a file, which must be the workload's stream byte for byte.
     */
    @Test
    void aNetcatPeerKeepsItsConnectionAndWritesTheWholeStreamToItsOutput() throws Exception {
        Path received = Files.createTempFile("baton-nc-", ".out");
        try (HandoffScenario s = HandoffScenario.startWithStockPeer(RATE, false, (host, service) ->
                new ProcessBuilder(host.command("nc", "-n", service.getAddress().getHostAddress(),
                        Integer.toString(service.getPort()))).redirectOutput(received.toFile()))) {
            int pid = s.peerPid();
            SocketEntry before = onlyTcpSocket(pid);
            PacedFeeder feeder = new PacedFeeder("nc", s.stockPeer().getOutputStream(), RATE,
                    (offset, chunk) -> StreamPattern.fill(Direction.FROM_CLIENT, offset, chunk, chunk.length), null);
            try {
                Moves.thereAndBack(s);
            } finally {
                feeder.stop();
            }

            s.owner().send("STOP");
            EndpointProcess.Stats owner = awaitDrained(s, feeder.fed.get(), received, Duration.ofSeconds(20));
            System.out.printf("netcat: fed %d, workload read %d; workload wrote %d, nc wrote %d to its output; "
                    + "longest workload read gap %.1f ms%n", feeder.fed.get(), owner.read(), owner.written(),
                    Files.size(received), owner.longestGapMs());
            assertNull(feeder.failure, "feeding nc's stdin");
            assertTrue(owner.clean(), "the workload read the fed stream byte for byte: " + owner);
            assertTrue(feeder.fed.get() > RATE / 2, "nc carried data across both moves: " + feeder.fed.get());
            byte[] out = Files.readAllBytes(received);
            assertEquals(owner.written(), out.length, "nc wrote every byte the workload sent");
            assertEquals(-1, StreamPattern.firstMismatch(Direction.FROM_SERVER, 0, out, out.length),
                    "nc's output is the workload's stream, byte for byte");

            assertPeerKeptItsSocket(s, pid, before);
            auditWire(s, out.length);
        } finally {
            Files.deleteIfExists(received);
        }
    }

    /** The same process, the same fd and socket, the same local end, aimed at a again, still established. */
    private static void assertPeerKeptItsSocket(HandoffScenario s, int pid, SocketEntry before) {
        assertTrue(s.stockPeer().isAlive(), "the stock peer is still running");
        assertEquals(pid, s.stockPeer().pid());
        SocketEntry after = onlyTcpSocket(pid);
        assertEquals(before.fd(), after.fd(), "same fd");
        assertEquals(before.inode(), after.inode(), "same socket");
        assertEquals(before.local(), after.local(), "same local end");
        assertEquals(s.serviceAddress("a"), after.remote(), "aimed at a again after a -> b -> a");
        assertEquals(TcpState.ESTABLISHED, after.state());
    }

    private static void auditWire(HandoffScenario s, long bytesToPeer) throws Exception {
        WireReport wire = s.audit();
        System.out.println("wire at the peer: " + wire.summary());
        System.out.printf("longest gap on the wire: to peer %.1f ms, from peer %.1f ms%n",
                wire.toPeer().longestSilenceMillis(), wire.fromPeer().longestSilenceMillis());
        assertEquals(0, wire.rstCount(), "no RST on the wire: " + wire);
        assertEquals(0, wire.toPeer().unfilledHoleBytes() + wire.fromPeer().unfilledHoleBytes(), "no gap: " + wire);
        assertTrue(wire.toPeer().payloadBytes() >= bytesToPeer, "wire carried the whole stream: " + wire);
    }

    private static SocketEntry onlyTcpSocket(int pid) {
        try (ProcessSockets p = ProcessSockets.open(pid)) {
            List<SocketEntry> tcp = p.list();
            assertEquals(1, tcp.size(), "the stock peer has one TCP socket: " + tcp);
            return tcp.getFirst();
        }
    }

    /** Waits until the workload read all that was fed and nc wrote all that the workload sent. */
    private static EndpointProcess.Stats awaitDrained(HandoffScenario s, long fed, Path received, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            EndpointProcess.Stats o = s.owner().stats();
            if (o.read() == fed && Files.size(received) == o.written()) return o;
            if (System.nanoTime() > deadline || !o.clean()) {
                fail("did not drain: fed " + fed + ", workload " + o + ", nc wrote " + Files.size(received));
            }
            Thread.sleep(20);
        }
    }
}
