package dev.baton.ckpt.image;

import dev.baton.ckpt.image.CriuFields.TcpStream;
import dev.baton.socket.Seq;
import dev.baton.socket.TcpState;

import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;

/** Decodes tcp-stream images and edits their send queue. */
final class TcpStreams {
    private TcpStreams() {}

    /** What {@link #reconcile} did: the image to write and the numbers a caller reports. */
    /** The image after the trim ({@code image} itself when nothing changes), and what changed. */
    record Reconciled(ImageFile image, SendQueueTrim trim) {}

    /** Decodes the one entry of a tcp-stream image; failures carry their offset in the file. */
    static TcpStreamImage decode(ImageFile image) {
        ImageFile.Entry entry = onlyEntry(image);
        try {
            return decode(entry);
        } catch (MalformedMessageException e) {
            throw e.inEntry(0, image.messageOffset(0));
        }
    }

    private static TcpStreamImage decode(ImageFile.Entry entry) {
        ProtoMessage m = entry.message();
        byte[] payload = entry.payload();
        int inq = (int) m.uint32(TcpStream.INQ_LEN, "inq_len");
        Optional<TcpStreamImage.Window> window = window(m);
        return new TcpStreamImage(m.uint32(TcpStream.INQ_SEQ, "inq_seq"), inq,
                m.uint32(TcpStream.OUTQ_SEQ, "outq_seq"), m.uint32(TcpStream.OUTQ_LEN, "outq_len"),
                m.optionalUint32(TcpStream.UNSQ_LEN, "unsq_len").orElse(0),
                (int) m.uint32(TcpStream.OPT_MASK, "opt_mask"), (int) m.uint32(TcpStream.SND_WSCALE, "snd_wscale"),
                (int) m.optionalUint32(TcpStream.RCV_WSCALE, "rcv_wscale").orElse(0),
                (int) m.uint32(TcpStream.MSS_CLAMP, "mss_clamp"), m.optionalUint32(TcpStream.TIMESTAMP, "timestamp"),
                window, m.optionalBool(TcpStream.NODELAY, "nodelay"), m.optionalBool(TcpStream.CORK, "cork"),
                Arrays.copyOfRange(payload, 0, inq), Arrays.copyOfRange(payload, inq, payload.length));
    }

    private static Optional<TcpStreamImage.Window> window(ProtoMessage m) {
        OptionalLong[] parts = {
                m.optionalUint32(TcpStream.SND_WL1, "snd_wl1"), m.optionalUint32(TcpStream.SND_WND, "snd_wnd"),
                m.optionalUint32(TcpStream.MAX_WINDOW, "max_window"), m.optionalUint32(TcpStream.RCV_WND, "rcv_wnd"),
                m.optionalUint32(TcpStream.RCV_WUP, "rcv_wup")};
        long present = Arrays.stream(parts).filter(OptionalLong::isPresent).count();
        if (present == 0) return Optional.empty();
        if (present != parts.length) {
            throw new MalformedMessageException(0, "only " + present + " of the 5 repair window fields"
                    + " (snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup) are present; CRIU writes all or none");
        }
        return Optional.of(new TcpStreamImage.Window(parts[0].getAsLong(), parts[1].getAsLong(),
                parts[2].getAsLong(), parts[3].getAsLong(), parts[4].getAsLong()));
    }

    private static ImageFile.Entry onlyEntry(ImageFile image) {
        if (image.kind() != ImageKind.TCP_STREAM) {
            throw new IllegalArgumentException("not a tcp-stream image: " + image);
        }
        if (image.entryCount() != 1) {
            throw new MalformedMessageException(0, "a tcp-stream image holds one entry, this one " + image.entryCount());
        }
        return image.entries().getFirst();
    }

    /**
     * The image as it must be restored when the peer is known to have received everything before
     * {@code peerRcvNxt}: the acknowledged head of the send queue is dropped and the rest marked unsent, so the
     * restored socket sends it as new data right after restore instead of waiting for a retransmission timer
     * that has no RTT history. Only {@code outq_len}, {@code unsq_len} and the send-queue payload change:
     * {@code outq_seq} is the end of the queue ({@code write_seq}), which stays where it is; CRIU derives
     * {@code snd_una} as {@code outq_seq - outq_len}.
     *
     * @param state the socket's state; when it has sent its FIN, {@code outq_seq} counts that FIN
     * @throws IllegalArgumentException when {@code peerRcvNxt} is outside {@code [snd_una, end of data]} (a FIN
     *                                  the peer already acknowledged counts as the end of data)
     */
    static Reconciled reconcile(ImageFile image, long peerRcvNxt, TcpState state) {
        if (peerRcvNxt < 0 || peerRcvNxt > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("peer rcv_nxt is not an unsigned 32-bit value: " + peerRcvNxt);
        }
        TcpStreamImage stream = decode(image);
        boolean finQueued = state.finSent();
        long sndUna = stream.sendQueueSeq(finQueued);
        long dataEnd = Seq.add(sndUna, stream.outqLength());
        long target = finQueued && peerRcvNxt == Seq.add(dataEnd, 1) ? dataEnd : peerRcvNxt;
        long acked = Seq.distance(target, sndUna);
        if (acked < 0 || acked > stream.outqLength()) {
            throw new IllegalArgumentException("peer rcv_nxt " + peerRcvNxt + " is outside the send queue ["
                    + sndUna + ", " + dataEnd + "] of this image: the peer's state and the dump do not belong"
                    + " to one quiet connection");
        }
        long remaining = stream.outqLength() - acked;
        SendQueueTrim trim = new SendQueueTrim(sndUna, target, acked, stream.outqLength() - stream.unsentLength(),
                remaining);
        // Nothing acknowledged to drop and nothing marked as sent: the image already says this (an idle connection).
        if (acked == 0 && stream.unsentLength() == stream.outqLength()) return new Reconciled(image, trim);
        ImageFile.Entry entry = image.entries().getFirst();
        ProtoMessage message = entry.message()
                .replacing(Field.varint(TcpStream.OUTQ_LEN, remaining))
                .replacing(Field.varint(TcpStream.UNSQ_LEN, remaining));
        byte[] payload = entry.payload();
        int inq = (int) stream.inqLength();
        byte[] trimmed = new byte[inq + (int) remaining];
        System.arraycopy(payload, 0, trimmed, 0, inq);
        System.arraycopy(payload, inq + (int) acked, trimmed, inq, (int) remaining);
        ImageFile edited = image.withEntry(0, new ImageFile.Entry(message, trimmed));
        return new Reconciled(edited, trim);
    }
}
