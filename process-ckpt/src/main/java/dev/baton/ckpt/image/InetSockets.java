package dev.baton.ckpt.image;

import dev.baton.ckpt.image.CriuFields.FileEntry;
import dev.baton.ckpt.image.CriuFields.InetSk;
import dev.baton.socket.Family;
import dev.baton.socket.TcpState;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes the addresses of {@code inet_sk_entry} messages. CRIU stores an address as a repeated uint32:
 * one word for IPv4, four for IPv6, each word the in-memory 32 bits of the address in host byte order (little
 * endian on the machines Baton runs on), i.e. the address bytes read as a little-endian integer.
 */
final class InetSockets {
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    private static final int MAPPED_V4_MARKER = 0xFFFF0000; // bytes 00 00 ff ff as a little-endian word

    private InetSockets() {}

    /** An INETSK entry of files.img: its index, its {@code inet_sk_entry} and what that decodes to. */
    record InetEntry(int index, ProtoMessage isk, InetSocketImage socket) {}

    /**
     * The INETSK entries of a decoded files.img, in file order.
     *
     * @throws MalformedMessageException located in the file (entry index, offset) when an entry does not decode
     */
    static List<InetEntry> inFiles(ImageFile files) {
        List<InetEntry> out = new ArrayList<>();
        List<ImageFile.Entry> entries = files.entries();
        for (int i = 0; i < entries.size(); i++) {
            ProtoMessage file = entries.get(i).message();
            try {
                if (file.uint32(FileEntry.TYPE, "type") != FileEntry.TYPE_INETSK) continue;
                ProtoMessage isk = file.nested(FileEntry.ISK, "isk");
                out.add(new InetEntry(i, isk, decode(isk)));
            } catch (MalformedMessageException e) {
                throw e.inEntry(i, files.messageOffset(i));
            }
        }
        return out;
    }

    static InetSocketImage decode(ProtoMessage isk) {
        int familyCode = (int) isk.uint32(InetSk.FAMILY, "family");
        Family family = switch (familyCode) {
            case AF_INET -> Family.INET;
            case AF_INET6 -> Family.INET6;
            default -> throw new MalformedMessageException(0, "inet socket family " + familyCode
                    + " is neither AF_INET (2) nor AF_INET6 (10)");
        };
        long stateCode = isk.uint32(InetSk.STATE, "state");
        TcpState state;
        try {
            state = TcpState.ofCode((int) stateCode);
        } catch (IllegalArgumentException e) {
            throw new MalformedMessageException(0, "unknown socket state " + stateCode);
        }
        InetAddress src = address(family, isk.repeatedUint32(InetSk.SRC_ADDR, "src_addr"), "src_addr");
        InetAddress dst = address(family, isk.repeatedUint32(InetSk.DST_ADDR, "dst_addr"), "dst_addr");
        return new InetSocketImage(isk.uint32(InetSk.ID, "id"), isk.uint32(InetSk.INO, "ino"), family,
                (int) isk.uint32(InetSk.TYPE, "type"), (int) isk.uint32(InetSk.PROTO, "proto"), state,
                new InetSocketAddress(src, port(isk.uint32(InetSk.SRC_PORT, "src_port"), "src_port")),
                new InetSocketAddress(dst, port(isk.uint32(InetSk.DST_PORT, "dst_port"), "dst_port")));
    }

    private static int port(long value, String name) {
        if (value > 0xFFFF) throw new MalformedMessageException(0, name + " " + value + " is not a port");
        return (int) value;
    }

    private static InetAddress address(Family family, long[] words, String name) {
        int expected = family == Family.INET ? 1 : 4;
        if (words.length != expected) {
            throw new MalformedMessageException(0, name + " has " + words.length + " words, expected " + expected
                    + " for " + (family == Family.INET ? "AF_INET" : "AF_INET6"));
        }
        byte[] bytes = new byte[4 * words.length];
        for (int i = 0; i < words.length; i++) {
            for (int b = 0; b < 4; b++) bytes[4 * i + b] = (byte) (words[i] >>> (8 * b));
        }
        try {
            return InetAddress.getByAddress(bytes); // an IPv4-mapped IPv6 address comes back as Inet4Address
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The words that store {@code address} in a socket of {@code family}: an IPv4 address in an AF_INET6 socket
     * is written IPv4-mapped ({@code ::ffff:a.b.c.d}).
     */
    static long[] words(Family family, InetAddress address) {
        byte[] raw = address.getAddress();
        if (family == Family.INET) {
            if (raw.length != 4) throw new IllegalArgumentException("IPv6 address " + address + " in an AF_INET socket");
            return new long[]{word(raw, 0)};
        }
        if (raw.length == 4) return new long[]{0, 0, Integer.toUnsignedLong(MAPPED_V4_MARKER), word(raw, 0)};
        return new long[]{word(raw, 0), word(raw, 4), word(raw, 8), word(raw, 12)};
    }

    private static long word(byte[] raw, int at) {
        return Integer.toUnsignedLong(ImageFile.le32(raw, at));
    }

    /**
     * The fields that store {@code words} as field {@code number}, in the form the entry used: one packed LEN
     * field, or one VARINT field per word (what protobuf-c writes for CRIU's proto2 schema).
     */
    static List<Field> addressFields(int number, long[] words, boolean packed) {
        if (packed) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (long w : words) Field.writeVarint(out, w);
            return List.of(Field.len(number, out.toByteArray()));
        }
        List<Field> fields = new ArrayList<>();
        for (long w : words) fields.add(Field.varint(number, w));
        return fields;
    }

    static boolean isIpv4(InetAddress a) {
        return a instanceof Inet4Address;
    }
}
