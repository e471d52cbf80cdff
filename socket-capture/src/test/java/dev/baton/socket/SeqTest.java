package dev.baton.socket;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Sequence numbers are unsigned 32-bit and wrap; the arithmetic must never see the wrap. */
class SeqTest {
    private static final long MAX = 0xFFFF_FFFFL;

    @Test
    void addingPastTheTopWrapsToTheBottom() {
        assertEquals(0L, Seq.add(MAX, 1));
        assertEquals(9L, Seq.add(MAX - 10, 20));
        assertEquals(MAX, Seq.add(0, -1));
        assertEquals(123L, Seq.add(123, 1L << 32));
    }

    @Test
    void distanceIsSignedAndCorrectAcrossTheWrap() {
        assertEquals(20L, Seq.distance(9, MAX - 10));
        assertEquals(-20L, Seq.distance(MAX - 10, 9));
        assertEquals(0L, Seq.distance(MAX, MAX));
        assertEquals((1L << 31) - 1, Seq.distance((1L << 31) - 1, 0));
    }

    @Test
    void afterHoldsAcrossTheWrapAndNotForEqualNumbers() {
        assertTrue(Seq.after(5, MAX - 5));
        assertFalse(Seq.after(MAX - 5, 5));
        assertFalse(Seq.after(77, 77));
    }

    @Test
    void valuesOutsideUnsigned32BitAreRejected() {
        assertEquals(MAX, Seq.requireU32(MAX, "x"));
        assertThrows(IllegalArgumentException.class, () -> Seq.requireU32(-1, "x"));
        assertThrows(IllegalArgumentException.class, () -> Seq.requireU32(MAX + 1, "x"));
        assertThrows(IllegalArgumentException.class, () -> new ReceiveQueue(MAX + 1, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new SendQueue(-1, new byte[0], new byte[0]));
    }

    @Test
    void queueEndsWrapAroundTheTop() {
        ReceiveQueue rq = new ReceiveQueue(MAX - 1, new byte[5]);
        assertEquals(3L, rq.endSeq());
        SendQueue sq = new SendQueue(MAX, new byte[2], new byte[3]);
        assertEquals(1L, sq.unsentSeq());
        assertEquals(4L, sq.endSeq());
        assertEquals(5, sq.length());
    }
}
