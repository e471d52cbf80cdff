package dev.baton.socket;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The bytes the application wrote that the peer has not acknowledged.
 * <pre>
 *   seq (snd_una)            snd_nxt                 write_seq
 *     |<----- unacked -------->|<------ unsent ------->|
 *          on the wire once         never transmitted
 * </pre>
 *
 * @param seq     sequence number of the first unacknowledged byte ({@code snd_una}), unsigned 32-bit
 * @param unacked bytes sent at least once but not acknowledged
 * @param unsent  bytes queued but never sent
 */
public record SendQueue(long seq, byte[] unacked, byte[] unsent) {

    public SendQueue {
        Seq.requireU32(seq, "send queue seq");
        unacked = unacked.clone();
        unsent = unsent.clone();
    }

    /** {@code snd_nxt}: the sequence number of the first unsent byte. */
    public long unsentSeq() {
        return Seq.add(seq, unacked.length);
    }

    /** {@code write_seq}: the sequence number after the last queued byte. */
    public long endSeq() {
        return Seq.add(unsentSeq(), unsent.length);
    }

    public int length() {
        return unacked.length + unsent.length;
    }

    @Override
    public byte[] unacked() {
        return unacked.clone();
    }

    @Override
    public byte[] unsent() {
        return unsent.clone();
    }

    // Read-only views for this package's rebuild path, which must not copy megabytes per socket.
    byte[] unackedRef() {
        return unacked;
    }

    byte[] unsentRef() {
        return unsent;
    }

    /** All queued bytes, unacked first. */
    public byte[] bytes() {
        byte[] all = Arrays.copyOf(unacked, length());
        System.arraycopy(unsent, 0, all, unacked.length, unsent.length);
        return all;
    }

    /**
     * The queue as it must be rebuilt when the peer is known to have received everything before
     * {@code peerRcvNxt}: bytes the peer already has are dropped, and the rest is marked unsent, so the rebuilt
     * socket transmits it at once instead of waiting for a retransmission timer that has no RTT history
     * (about 1 s). Re-sending bytes the peer already holds as "unsent" can wedge the connection, which is why
     * the trim needs the peer's real {@code rcv_nxt}.
     *
     * @throws IllegalArgumentException when {@code peerRcvNxt} lies outside this queue: the two snapshots do not
     *                                  belong to one quiet connection
     */
    public SendQueue trimmedTo(long peerRcvNxt) {
        long acked = Seq.distance(peerRcvNxt, seq);
        if (acked < 0 || acked > length()) {
            throw new IllegalArgumentException("peer rcv_nxt " + peerRcvNxt + " is outside the send queue ["
                    + seq + ", " + endSeq() + "): the snapshots are not of one quiet connection");
        }
        byte[] all = bytes();
        return new SendQueue(peerRcvNxt, new byte[0], Arrays.copyOfRange(all, (int) acked, all.length));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SendQueue q && q.seq == seq && Arrays.equals(q.unacked, unacked)
                && Arrays.equals(q.unsent, unsent);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(seq) * 31 + Arrays.hashCode(unacked) * 17 + Arrays.hashCode(unsent);
    }

    @Override
    public String toString() {
        return "SendQueue[seq=" + seq + ", unacked=" + unacked.length + " B, unsent=" + unsent.length + " B"
                + (length() > 0 ? ", head=" + HexFormat.of().formatHex(bytes(), 0, Math.min(8, length())) : "") + "]";
    }
}
