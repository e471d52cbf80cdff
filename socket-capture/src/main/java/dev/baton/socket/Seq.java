package dev.baton.socket;

/** TCP sequence-number arithmetic modulo 2^32 (RFC 793 §3.3); values are unsigned 32-bit held in a long. */
public final class Seq {
    private static final long MASK = 0xFFFF_FFFFL;

    private Seq() {}

    public static long add(long seq, long n) {
        return (seq + n) & MASK;
    }

    /** {@code a - b} as a signed distance, correct across wrap-around for distances below 2^31. */
    public static long distance(long a, long b) {
        return (int) (a - b);
    }

    /** True when {@code a} comes after {@code b}. */
    public static boolean after(long a, long b) {
        return distance(a, b) > 0;
    }

    static long requireU32(long v, String name) {
        if (v < 0 || v > MASK) throw new IllegalArgumentException(name + " is not an unsigned 32-bit value: " + v);
        return v;
    }
}
