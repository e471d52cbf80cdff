package dev.baton.demo;

import java.util.SplittableRandom;

/**
 * The bytes a demo stream carries: byte {@code i} of direction {@code d} is a fixed pseudo-random function of
 * {@code (d, i)}, so a receiver that knows its offset checks every byte — a lost, repeated, reordered or
 * foreign byte shows as a mismatch at a known offset. Public so that tests whose peer is a stock program
 * (which knows nothing of the pattern) can feed it and check what it received.
 */
public final class StreamPattern {
    /** Prime table length: a shift by anything but a multiple of it changes the bytes. */
    private static final int PERIOD = 65_521;
    private static final byte[] TABLE = new byte[PERIOD];

    static {
        new SplittableRandom(0xBA70_4L).nextBytes(TABLE);
    }

    /** Direction of a stream: from the connecting side (the peer) or from the serving side (the workload). */
    public enum Direction {
        FROM_CLIENT(0), FROM_SERVER(31_337);

        final int shift;

        Direction(int shift) {
            this.shift = shift;
        }
    }

    private StreamPattern() {}

    /** Writes bytes {@code offset .. offset + len} of stream {@code d} into {@code buf[0, len)}. */
    public static void fill(Direction d, long offset, byte[] buf, int len) {
        int idx = index(d, offset);
        for (int i = 0; i < len; i++) {
            buf[i] = TABLE[idx];
            if (++idx == PERIOD) idx = 0;
        }
    }

    /** Returns the index in {@code buf[0, len)} of the first byte that does not match, or -1. */
    public static int firstMismatch(Direction d, long offset, byte[] buf, int len) {
        int idx = index(d, offset);
        for (int i = 0; i < len; i++) {
            if (buf[i] != TABLE[idx]) return i;
            if (++idx == PERIOD) idx = 0;
        }
        return -1;
    }

    private static int index(Direction d, long offset) {
        return (int) ((offset + d.shift) % PERIOD);
    }
}
