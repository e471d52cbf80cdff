package dev.baton.socket;

import java.util.Arrays;

/**
 * The bytes the kernel acknowledged to the peer that the application has not read yet.
 * <pre>
 *   seq (copied_seq)            rcv_nxt
 *     |<-------- data ---------->|
 * </pre>
 *
 * @param seq  sequence number of the first unread byte, unsigned 32-bit
 * @param data the unread bytes
 */
public record ReceiveQueue(long seq, byte[] data) {
    public ReceiveQueue {
        Seq.requireU32(seq, "receive queue seq");
        data = data.clone();
    }

    /** {@code rcv_nxt}: the next sequence number expected from the peer. */
    public long endSeq() {
        return Seq.add(seq, data.length);
    }

    public int length() {
        return data.length;
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    byte[] dataRef() {
        return data;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReceiveQueue q && q.seq == seq && Arrays.equals(q.data, data);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(seq) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "ReceiveQueue[seq=" + seq + ", " + data.length + " B]";
    }
}
