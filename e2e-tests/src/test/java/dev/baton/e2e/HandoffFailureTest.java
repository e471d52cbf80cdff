package dev.baton.e2e;

import dev.baton.demo.EndpointProcess;
import dev.baton.demo.HandoffScenario;
import dev.baton.peer.SocketHandoff;
import dev.baton.socket.RepairSession;
import dev.baton.socket.SocketCaptureException;
import dev.baton.socket.audit.WireReport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Nothing is lost when a handoff fails before its point of no return: the connection stays with its owner on
 * host a, the peer's socket is as it was, both streams go on byte-exact, no RST reaches the wire, and a later
 * handoff succeeds.
 */
@Tag("privileged")
class HandoffFailureTest {

    @Test
    void aNewOwnerThatNeverRebuildsLeavesTheConnectionWithItsOwner() throws Exception {
        try (HandoffScenario s = HandoffScenario.start(200_000)) {
            Thread.sleep(300);
            Exception e = assertThrows(IllegalStateException.class, () -> SocketHandoff.run(s.peerEndpoint(),
                    s.ownerEndpoint(), s.serviceAddress("b"), handover -> new FailingOwner(null)));
            assertEquals("the target host is gone", e.getMessage());
            assertStreamsSurviveAndAMoveStillWorks(s);
        }
    }

    @Test
    void aNewOwnerThatFailsAfterRebuildingIsAbortedSilently() throws Exception {
        try (HandoffScenario s = HandoffScenario.start(200_000)) {
            Thread.sleep(300);
            AtomicReference<RepairSession> rebuilt = new AtomicReference<>();
            assertThrows(IllegalStateException.class, () -> SocketHandoff.run(s.peerEndpoint(), s.ownerEndpoint(),
                    s.serviceAddress("b"), handover -> {
                        // A real rebuild on b, held in repair mode — then the owner fails.
                        rebuilt.set(s.lab().host("b").netns().get(() -> RepairSession.rebuild(handover.state())));
                        return new FailingOwner(rebuilt.get());
                    }));
            assertFalse(rebuilt.get().isRepairing(), "the aborted owner closed its socket in repair mode");
            assertStreamsSurviveAndAMoveStillWorks(s);
        }
    }

    @Test
    void aPeerFdThatIsNotASocketIsRefusedBeforeAnythingIsTouched() throws Exception {
        try (HandoffScenario s = HandoffScenario.start(200_000)) {
            Thread.sleep(300);
            SocketHandoff.Endpoint peer = s.peerEndpoint();
            SocketHandoff.Endpoint wrong = new SocketHandoff.Endpoint(peer.pid(), 0, peer.netns()); // stdin: a pipe
            SocketCaptureException e = assertThrows(SocketCaptureException.class,
                    () -> SocketHandoff.run(wrong, s.ownerEndpoint(), s.serviceAddress("b"),
                            handover -> fail("no new owner may be started")));
            assertEquals(SocketCaptureException.Reason.NOT_A_SOCKET, e.reason(), e.getMessage());
            assertStreamsSurviveAndAMoveStillWorks(s);
        }
    }

    private static void assertStreamsSurviveAndAMoveStillWorks(HandoffScenario s) throws Exception {
        Thread.sleep(300);
        SocketHandoff.Result moved = s.handoff();
        assertEquals(s.serviceAddress("b"), moved.to());
        Thread.sleep(300);
        EndpointProcess.Stats[] done = s.drain(Duration.ofSeconds(20));
        assertTrue(done[0].clean() && done[1].clean(), "streams intact: " + done[0] + " " + done[1]);
        WireReport wire = s.audit();
        assertEquals(0, wire.rstCount(), "no RST on the wire: " + wire);
        assertEquals(0, wire.toPeer().unfilledHoleBytes() + wire.fromPeer().unfilledHoleBytes(), "no gap: " + wire);
    }

    /** A new owner whose host fails before the connection is handed over; aborting closes it silently. */
    private record FailingOwner(RepairSession session) implements SocketHandoff.NewOwner {
        @Override
        public void awaitRebuilt() {
            throw new IllegalStateException("the target host is gone");
        }

        @Override
        public void resume() {
            fail("a failed owner is never resumed");
        }

        @Override
        public void abort() {
            if (session != null) session.closeSilently();
        }
    }
}
