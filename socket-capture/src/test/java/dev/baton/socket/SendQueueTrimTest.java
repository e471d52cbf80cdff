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

    private static TcpSocketState stateWith(TcpState state, SendQueue queue) {
        java.net.InetSocketAddress a = new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 1);
        return new TcpSocketState(TcpSocketState.FORMAT_VERSION, Family.INET, a, a, state,
                new ReceiveQueue(1, new byte[0]), queue, new TcpOptions(1460, true, false, null), null, null);
    }

    @Test
    void reconcilingWithAPeerThatHasOurFinAcceptsTheFinsSequenceNumber() {
        for (TcpState s : new TcpState[]{TcpState.FIN_WAIT1, TcpState.FIN_WAIT2, TcpState.CLOSING, TcpState.LAST_ACK}) {
            SendQueue q = queueAt(1000);
            TcpSocketState r = stateWith(s, q).reconciledWith(q.endSeq() + 1); // the peer's rcv_nxt counts our FIN
            assertEquals(q.endSeq(), r.sendQueue().seq(), s.toString());
            assertEquals(0, r.sendQueue().length(), "nothing left to send but the FIN: " + s);
        }
        SendQueue atWrap = queueAt(0xFFFF_FFF9L); // data ends at 0, the FIN takes 0, the peer expects 1
        assertEquals(0L, stateWith(TcpState.FIN_WAIT2, atWrap).reconciledWith(1).sendQueue().seq());
    }

    @Test
    void withoutAFinSentOnePastTheEndIsStillRefused() {
        SendQueue q = queueAt(1000);
        assertThrows(IllegalArgumentException.class,
                () -> stateWith(TcpState.ESTABLISHED, q).reconciledWith(q.endSeq() + 1));
        assertThrows(IllegalArgumentException.class,
                () -> stateWith(TcpState.CLOSE_WAIT, q).reconciledWith(q.endSeq() + 1));
    }
}
