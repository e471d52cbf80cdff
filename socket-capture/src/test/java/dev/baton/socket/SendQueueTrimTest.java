package dev.baton.socket;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** {@link SendQueue#trimmedTo} keeps exactly what the peer lacks, all of it as unsent. */
class SendQueueTrimTest {
    private static final byte[] UNACKED = {1, 2, 3, 4};
    private static final byte[] UNSENT = {5, 6, 7};

    private static SendQueue queueAt(long seq) {
        return new SendQueue(seq, UNACKED, UNSENT);
    }

    @Test
    void trimmingInsideTheUnackedPartKeepsTheRestAsUnsent() {
        SendQueue t = queueAt(1000).trimmedTo(1002);
        assertEquals(1002L, t.seq());
        assertArrayEquals(new byte[0], t.unacked());
        assertArrayEquals(new byte[]{3, 4, 5, 6, 7}, t.unsent());
        assertEquals(queueAt(1000).endSeq(), t.endSeq());
    }

    @Test
    void trimmingInsideTheUnsentPartDropsAllUnackedBytes() {
        SendQueue t = queueAt(1000).trimmedTo(1005);
        assertArrayEquals(new byte[]{6, 7}, t.unsent());
        assertEquals(1005L, t.seq());
    }

    @Test
    void trimmingAtTheStartMarksEverythingUnsent() {
        SendQueue t = queueAt(1000).trimmedTo(1000);
        assertEquals(1000L, t.seq());
        assertArrayEquals(new byte[]{1, 2, 3, 4, 5, 6, 7}, t.unsent());
        assertEquals(0, t.unacked().length);
    }

    @Test
    void trimmingAtTheEndLeavesAnEmptyQueueAtTheEnd() {
        SendQueue t = queueAt(1000).trimmedTo(1007);
        assertEquals(0, t.length());
        assertEquals(1007L, t.seq());
        assertEquals(1007L, t.endSeq());
    }

    @Test
    void trimmingWorksAcrossTheSequenceWrap() {
        long seq = 0xFFFF_FFFEL;
        SendQueue t = queueAt(seq).trimmedTo(1); // three bytes past seq
        assertEquals(1L, t.seq());
        assertArrayEquals(new byte[]{4, 5, 6, 7}, t.unsent());
        assertEquals(queueAt(seq).endSeq(), t.endSeq());
    }

    @Test
    void aPeerPositionBeforeTheQueueIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> queueAt(1000).trimmedTo(999));
        assertTrue(e.getMessage().contains("outside the send queue"), e.getMessage());
    }

    @Test
    void aPeerPositionAfterTheQueueIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> queueAt(1000).trimmedTo(1008));
        assertThrows(IllegalArgumentException.class, () -> queueAt(0xFFFF_FFFEL).trimmedTo(6));
    }

    @Test
    void reconcilingAStateTrimsItsSendQueueAndKeepsTheRest() throws Exception {
        TcpSocketState s = StateJsonTest.state(true, true, 10, 10);
        long peerRcvNxt = Seq.add(s.sendQueue().seq(), 3);
        TcpSocketState r = s.reconciledWith(peerRcvNxt);
        assertEquals(s.sendQueue().trimmedTo(peerRcvNxt), r.sendQueue());
        assertEquals(s.receiveQueue(), r.receiveQueue());
        assertEquals(s.options(), r.options());
        assertEquals(s.timestamp(), r.timestamp());
        assertEquals(s.window(), r.window());
    }
}
