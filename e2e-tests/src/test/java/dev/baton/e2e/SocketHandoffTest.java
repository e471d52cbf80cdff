package dev.baton.e2e;

import dev.baton.demo.EndpointProcess;
import dev.baton.demo.HandoffScenario;
import dev.baton.socket.audit.WireReport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

@Tag("privileged")
class SocketHandoffTest {

    @Test
    void aStreamingConnectionMovesToAHostWithAnotherIpAndBackWithoutLosingAByte() throws Exception {
        try (HandoffScenario s = HandoffScenario.start(200_000)) {
            Moves.thereAndBack(s);
            EndpointProcess.Stats[] done = s.drain(Duration.ofSeconds(20));
            EndpointProcess.Stats peer = done[0], owner = done[1];
            System.out.printf("peer: wrote %d read %d, longest read gap %.1f ms; owner: wrote %d read %d, longest gap %.1f ms%n",
                    peer.written(), peer.read(), peer.longestGapMs(), owner.written(), owner.read(), owner.longestGapMs());
            assertTrue(peer.clean(), "peer saw every byte as expected: " + peer);
            assertTrue(owner.clean(), "owner saw every byte as expected: " + owner);
            assertTrue(peer.read() > 200_000, "the stream carried data across both moves: " + peer.read());
            WireReport wire = s.audit();
            System.out.println("wire at the peer: " + wire.summary());
            assertEquals(0, wire.rstCount(), "no RST on the wire: " + wire);
            assertEquals(0, wire.toPeer().unfilledHoleBytes() + wire.fromPeer().unfilledHoleBytes(), "no gap: " + wire);
            assertEquals(0, wire.toPeer().duplicates() + wire.fromPeer().duplicates(), "no duplicate: " + wire);
            // Every byte the peer read crossed its wire. More may have: segments that reached the peer's
            // interface during the hold were dropped there (the capture sees them first) and sent again.
            assertTrue(wire.toPeer().payloadBytes() >= peer.read(), "wire carried the whole stream: " + wire);
        }
    }
}
