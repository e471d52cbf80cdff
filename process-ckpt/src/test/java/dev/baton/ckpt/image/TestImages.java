package dev.baton.ckpt.image;

import dev.baton.socket.Family;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/** Builds small CRIU images byte by byte, laid out as CRIU lays them out, for the unprivileged tests. */
final class TestImages {
    static final int COMMON = 0x54564319;
    static final int SERVICE = 0x55105940;

    private TestImages() {}

    static byte[] le32(int v) {
        return new byte[]{(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    /** One framed entry: length, message, then payload. */
    static byte[] entry(ProtoMessage message, byte[] payload) {
        byte[] m = message.encode();
        return concat(le32(m.length), m, payload);
    }

    static byte[] entry(ProtoMessage message) {
        return entry(message, new byte[0]);
    }

    /** An image with the common head magic. */
    static byte[] image(ImageKind kind, byte[]... entries) {
        return concat(le32(COMMON), le32(kind.magic), concat(entries));
    }

    static ProtoMessage message(Field... fields) {
        return ProtoMessage.of(List.of(fields));
    }

    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** An inet_sk_entry with the fields in the order protobuf-c writes them. */
    static ProtoMessage inetSk(int id, int ino, int family, int state, InetAddress src, int srcPort,
                               InetAddress dst, int dstPort) {
        List<Field> f = new ArrayList<>(List.of(
                Field.varint(1, id), Field.varint(2, ino), Field.varint(3, family), Field.varint(4, 1),
                Field.varint(5, 6), Field.varint(6, state), Field.varint(7, srcPort), Field.varint(8, dstPort),
                Field.varint(9, 2), Field.varint(10, state == 10 ? 128 : 0)));
        for (long w : InetSockets.words(family == 2 ? Family.INET : Family.INET6, src)) {
            f.add(Field.varint(11, w));
        }
        for (long w : InetSockets.words(family == 2 ? Family.INET : Family.INET6, dst)) {
            f.add(Field.varint(12, w));
        }
        f.add(Field.len(13, message(Field.varint(1, 0), Field.varint(2, 0)).encode())); // fown
        f.add(Field.len(14, message(Field.varint(1, 212992), Field.varint(2, 131072)).encode())); // opts
        return ProtoMessage.of(f);
    }

    static ProtoMessage inetFile(ProtoMessage isk) {
        long id = isk.uint32(1, "id");
        return message(Field.varint(1, 4), Field.varint(2, id), Field.len(4, isk.encode()));
    }

    /** A regular-file file_entry (type REG), which address rewrites must leave alone. */
    static ProtoMessage regFile(int id, String path) {
        ProtoMessage reg = message(Field.varint(1, id), Field.varint(2, 0), Field.varint(3, 0),
                Field.len(6, path.getBytes()));
        return message(Field.varint(1, 1), Field.varint(2, id), Field.len(3, reg.encode()));
    }

    /** A tcp_stream_entry as CRIU 4.x writes it (unsq_len and the window fields present). */
    static ProtoMessage tcpStream(long inqSeq, int inqLen, long outqSeq, int outqLen, int unsqLen) {
        return message(Field.varint(1, inqLen), Field.varint(2, inqSeq), Field.varint(3, outqLen),
                Field.varint(4, outqSeq), Field.varint(5, 0x7), Field.varint(6, 7), Field.varint(7, 1448),
                Field.varint(8, 7), Field.varint(9, 123456), Field.varint(12, unsqLen), Field.varint(13, inqSeq),
                Field.varint(14, 65535), Field.varint(15, 65535), Field.varint(16, 64240), Field.varint(17, inqSeq));
    }
}
