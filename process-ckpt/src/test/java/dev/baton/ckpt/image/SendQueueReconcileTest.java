package dev.baton.ckpt.image;

import dev.baton.socket.TcpState;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.baton.ckpt.image.TestImages.*;
import static org.junit.jupiter.api.Assertions.*;

class SendQueueReconcileTest {
    private static final byte[] INQ = "in".getBytes();
    private static final byte[] OUTQ = "0123456789".getBytes();

    /** A tcp-stream image of {@code entry} followed by INQ and OUTQ. */
    private static ImageFile stream(ProtoMessage entry) throws ImageFormatException {
        return ImageFile.decode("tcp-stream-1.img", image(ImageKind.TCP_STREAM, entry(entry, concat(INQ, OUTQ))));
    }

    /** outq_seq (write_seq) 5010, 10 bytes queued from snd_una 5000, the last 4 never sent. */
    private static ImageFile stream() throws ImageFormatException {
        return stream(tcpStream(900, INQ.length, 5010, OUTQ.length, 4));
    }

    @Test
    void theAcknowledgedHeadIsDroppedAndTheRestMarkedUnsent() throws Exception {
        TcpStreams.Reconciled r = TcpStreams.reconcile(stream(), 5003, TcpState.ESTABLISHED);
        TcpStreamImage after = TcpStreams.decode(r.image());
        assertEquals(5010, after.outqSeq(), "write_seq does not move");
        assertEquals(7, after.outqLength());
        assertEquals(7, after.unsentLength());
        assertEquals(5003, after.sendQueueSeq(false));
        assertArrayEquals("3456789".getBytes(), after.sendQueue());
        assertArrayEquals(INQ, after.receiveQueue());
        assertEquals(new SendQueueTrim(5000, 5003, 3, 6, 7), r.trim());
    }

    @Test
    void whenThePeerHasNothingNewEverythingIsSentAgainAsNewData() throws Exception {
        TcpStreams.Reconciled r = TcpStreams.reconcile(stream(), 5000, TcpState.ESTABLISHED);
        assertEquals(new SendQueueTrim(5000, 5000, 0, 6, 10), r.trim());
        TcpStreamImage after = TcpStreams.decode(r.image());
        assertEquals(5010, after.outqSeq());
        assertEquals(10, after.outqLength());
        assertEquals(10, after.unsentLength());
        assertArrayEquals(OUTQ, after.sendQueue());
    }

    @Test
    void whenThePeerHasEverythingTheSendQueueIsEmpty() throws Exception {
        TcpStreams.Reconciled r = TcpStreams.reconcile(stream(), 5010, TcpState.ESTABLISHED);
        assertEquals(new SendQueueTrim(5000, 5010, 10, 6, 0), r.trim());
        TcpStreamImage after = TcpStreams.decode(r.image());
        assertEquals(5010, after.outqSeq());
        assertEquals(5010, after.sendQueueSeq(false));
        assertEquals(0, after.outqLength());
        assertEquals(0, after.unsentLength());
        assertEquals(0, after.sendQueue().length);
    }

    @Test
    void anIdleConnectionsImageIsLeftAsItIs() throws Exception {
        ImageFile idle = ImageFile.decode("tcp-stream-1.img",
                image(ImageKind.TCP_STREAM, entry(tcpStream(900, INQ.length, 5010, 0, 0), INQ)));
        TcpStreams.Reconciled r = TcpStreams.reconcile(idle, 5010, TcpState.ESTABLISHED);
        assertSame(idle, r.image(), "nothing to drop, nothing marked sent: no edit, no write");
        assertEquals(new SendQueueTrim(5010, 5010, 0, 0, 0), r.trim());
    }

    @Test
    void sequenceNumbersWrapAround() throws Exception {
        ImageFile wrapped = stream(tcpStream(900, INQ.length, 4, OUTQ.length, 0)); // snd_una = 2^32 - 6
        TcpStreams.Reconciled r = TcpStreams.reconcile(wrapped, 0xFFFF_FFFEL, TcpState.ESTABLISHED);
        assertEquals(new SendQueueTrim(0xFFFF_FFFAL, 0xFFFF_FFFEL, 4, 10, 6), r.trim());
        TcpStreamImage after = TcpStreams.decode(r.image());
        assertArrayEquals("456789".getBytes(), after.sendQueue());
        assertEquals(4, after.outqSeq(), "write_seq does not move");
        assertEquals(0xFFFF_FFFEL, after.sendQueueSeq(false), "snd_una is the peer's rcv_nxt, across the wrap");
    }

    @Test
    void aPeerRcvNxtOutsideTheSendQueueIsRefused() throws Exception {
        ImageFile image = stream();
        var before = assertThrows(IllegalArgumentException.class,
                () -> TcpStreams.reconcile(image, 4999, TcpState.ESTABLISHED));
        assertEquals("peer rcv_nxt 4999 is outside the send queue [5000, 5010] of this image: the peer's state and"
                + " the dump do not belong to one quiet connection", before.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TcpStreams.reconcile(image, 5011, TcpState.ESTABLISHED));
        assertThrows(IllegalArgumentException.class, () -> TcpStreams.reconcile(image, -1, TcpState.ESTABLISHED));
    }

    @Test
    void aQueuedFinIsCountedInOutqSeqButIsNotData() throws Exception {
        // FIN_WAIT1: write_seq 5011 includes our FIN; the data is [5000, 5010).
        ImageFile finWait = stream(tcpStream(900, INQ.length, 5011, OUTQ.length, 0));
        TcpStreams.Reconciled r = TcpStreams.reconcile(finWait, 5004, TcpState.FIN_WAIT1);
        assertEquals(new SendQueueTrim(5000, 5004, 4, 10, 6), r.trim());
        TcpStreamImage after = TcpStreams.decode(r.image());
        assertArrayEquals("456789".getBytes(), after.sendQueue());
        assertEquals(5011, after.outqSeq(), "write_seq, FIN included, does not move");
        assertEquals(5004, after.sendQueueSeq(true));
        // The peer acknowledged the FIN too: all data is dropped, the FIN is sent again by CRIU's shutdown().
        TcpStreams.Reconciled all = TcpStreams.reconcile(finWait, 5011, TcpState.FIN_WAIT1);
        assertEquals(new SendQueueTrim(5000, 5010, 10, 10, 0), all.trim());
    }

    @Test
    void onlyOutqLenUnsqLenAndTheSendQueueBytesChange() throws Exception {
        ImageFile before = stream();
        ImageFile after = TcpStreams.reconcile(before, 5003, TcpState.ESTABLISHED).image();
        ProtoMessage b = before.entries().getFirst().message();
        ProtoMessage a = after.entries().getFirst().message();
        assertEquals(b.fields().size(), a.fields().size());
        for (int i = 0; i < b.fields().size(); i++) {
            Field fb = b.fields().get(i);
            Field fa = a.fields().get(i);
            assertEquals(fb.number(), fa.number(), "field order kept");
            if (fb.number() == 3 || fb.number() == 12) assertEquals(7, fa.bits());
            else assertEquals(fb, fa, "field " + fb.number() + " untouched");
        }
        assertArrayEquals(concat(INQ, "3456789".getBytes()), after.entries().getFirst().payload(),
                "the receive queue as dumped, then the send queue without the acknowledged head");
    }

    @Test
    void anImageWithoutUnsqLenGetsItInFieldOrder() throws Exception {
        ProtoMessage old = tcpStream(900, INQ.length, 5010, OUTQ.length, 0).replacing(12, List.of());
        ImageFile after = TcpStreams.reconcile(stream(old), 5002, TcpState.ESTABLISHED).image();
        List<Integer> numbers = after.entries().getFirst().message().fields().stream().map(Field::number).toList();
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17), numbers);
        assertEquals(8, TcpStreams.decode(after).unsentLength());
    }
}
