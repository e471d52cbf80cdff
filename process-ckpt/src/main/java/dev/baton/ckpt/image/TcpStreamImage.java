package dev.baton.ckpt.image;

import dev.baton.socket.Seq;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A connected TCP socket's state as CRIU dumped it ({@code tcp-stream-<ino>.img}). Sequence numbers are unsigned
 * 32-bit values held in longs. In CRIU's terms (sk-tcp.c):
 * <pre>
 *   send queue:    snd_una ......... snd_nxt ........... write_seq = outq_seq
 *                  |<------------- outq_len -------------->|
 *                                    |<----- unsq_len ---->|   never sent
 *   receive queue: copied_seq ...... rcv_nxt = inq_seq
 *                  |<--- inq_len --->|                          unread by the application
 * </pre>
 * When this end has sent its FIN (FIN_WAIT1, CLOSING, LAST_ACK), {@code outq_seq} counts it: the data ends one
 * before.
 *
 * @param unsentLength {@code unsq_len}: the tail of the send queue never transmitted; CRIU restores it with
 *                     repair mode off, as new data (0 when the field is absent)
 * @param window       the repair window, absent in images of kernels before 4.8
 * @param receiveQueue the {@code inq_len} bytes that follow the entry
 * @param sendQueue    the {@code outq_len} bytes after them
 */
public record TcpStreamImage(long inqSeq, long inqLength, long outqSeq, long outqLength, long unsentLength,
                             int optMask, int sndWscale, int rcvWscale, int mssClamp, OptionalLong timestamp,
                             Optional<Window> window, boolean nodelay, boolean cork,
                             byte[] receiveQueue, byte[] sendQueue) {

    /** {@code TCP_REPAIR_WINDOW}: what the socket knows of both windows. */
    public record Window(long sndWl1, long sndWnd, long maxWindow, long rcvWnd, long rcvWup) {}

    public TcpStreamImage {
        receiveQueue = receiveQueue.clone();
        sendQueue = sendQueue.clone();
    }

    /** {@code snd_una}: the first byte of the send queue, which the peer has not acknowledged (FINs not counted). */
    public long sendQueueSeq(boolean finQueued) {
        return Seq.add(outqSeq, -(outqLength + (finQueued ? 1 : 0)));
    }

    /** {@code copied_seq}: the first unread byte of the receive queue. */
    public long receiveQueueSeq() {
        return Seq.add(inqSeq, -inqLength);
    }

    @Override
    public byte[] receiveQueue() {
        return receiveQueue.clone();
    }

    @Override
    public byte[] sendQueue() {
        return sendQueue.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TcpStreamImage t && t.inqSeq == inqSeq && t.inqLength == inqLength && t.outqSeq == outqSeq
                && t.outqLength == outqLength && t.unsentLength == unsentLength && t.optMask == optMask
                && t.sndWscale == sndWscale && t.rcvWscale == rcvWscale && t.mssClamp == mssClamp
                && t.timestamp.equals(timestamp) && t.window.equals(window) && t.nodelay == nodelay && t.cork == cork
                && Arrays.equals(t.receiveQueue, receiveQueue) && Arrays.equals(t.sendQueue, sendQueue);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(inqSeq) * 31 + Long.hashCode(outqSeq) * 17 + Arrays.hashCode(sendQueue);
    }

    @Override
    public String toString() {
        return "TcpStreamImage[inq " + inqLength + " B up to " + inqSeq + ", outq " + outqLength + " B (" + unsentLength
                + " unsent) up to " + outqSeq + ", opt_mask 0x" + Integer.toHexString(optMask) + ", wscale "
                + sndWscale + "/" + rcvWscale + ", mss " + mssClamp
                + timestamp.stream().mapToObj(t -> ", ts " + t).findFirst().orElse("")
                + (sendQueue.length > 0 ? ", outq head " + HexFormat.of().formatHex(sendQueue, 0, Math.min(8, sendQueue.length)) : "")
                + "]";
    }
}
