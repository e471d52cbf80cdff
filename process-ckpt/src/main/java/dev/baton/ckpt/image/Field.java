package dev.baton.ckpt.image;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * One field of a protobuf message as it was on the wire: its number, wire type, decoded value and the exact
 * bytes it was read from ({@code encoding}: tag, then value). Writing a message writes each field's
 * {@code encoding}, so an unedited field comes back byte for byte, over-long varints included. Fields made by
 * the factories here are encoded canonically. Arrays are never modified after construction.
 *
 * @param bits     VARINT: the value; I32/I64: the raw little-endian bits; LEN: 0
 * @param content  LEN: the bytes; other types: empty
 * @param encoding the whole field as written: tag varint, then the value (with its length varint for LEN)
 */
record Field(int number, WireType type, long bits, byte[] content, byte[] encoding) {
    static final int MAX_NUMBER = (1 << 29) - 1;

    Field {
        if (number < 1 || number > MAX_NUMBER) throw new IllegalArgumentException("bad field number " + number);
    }

    static Field varint(int number, long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(11);
        writeVarint(out, tag(number, WireType.VARINT));
        writeVarint(out, value);
        return new Field(number, WireType.VARINT, value, new byte[0], out.toByteArray());
    }

    static Field len(int number, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 10);
        writeVarint(out, tag(number, WireType.LEN));
        writeVarint(out, content.length);
        out.writeBytes(content);
        return new Field(number, WireType.LEN, 0, content.clone(), out.toByteArray());
    }

    /** Where {@code content} starts inside {@code encoding} (LEN fields). */
    int contentOffset() {
        return encoding.length - content.length;
    }

    static long tag(int number, WireType type) {
        return ((long) number << 3) | type.id;
    }

    static int varintLength(long value) {
        int n = 1;
        while ((value & ~0x7FL) != 0) {
            value >>>= 7;
            n++;
        }
        return n;
    }

    static void writeVarint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Field f && f.number == number && f.type == type && Arrays.equals(f.encoding, encoding);
    }

    @Override
    public int hashCode() {
        return number * 31 + Arrays.hashCode(encoding);
    }

    @Override
    public String toString() {
        return "#" + number + " " + type + (type == WireType.LEN ? " (" + content.length + " B)" : " " + bits);
    }
}
