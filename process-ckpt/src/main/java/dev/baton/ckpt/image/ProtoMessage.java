package dev.baton.ckpt.image;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A protobuf message as an ordered list of raw {@link Field}s, decoded without a schema. {@link #encode()} writes
 * the fields back in their order and with their original bytes, so an unedited message re-encodes exactly as it
 * was read. Edits ({@link #replacing}) give a new message; only the replaced fields get new bytes. The typed
 * accessors ({@link #uint32}, {@link #nested}, …) check what a schema would: wire type, presence, range.
 */
final class ProtoMessage {
    private static final long U32_MAX = 0xFFFF_FFFFL;
    private static final int MAX_VARINT_BYTES = 10;

    private final List<Field> fields;
    /** Start of each field in the bytes it was parsed from; -1 for fields added by an edit. */
    private final int[] offsets;

    private ProtoMessage(List<Field> fields, int[] offsets) {
        this.fields = List.copyOf(fields);
        this.offsets = offsets;
    }

    static ProtoMessage of(List<Field> fields) {
        int[] none = new int[fields.size()];
        Arrays.fill(none, -1);
        return new ProtoMessage(fields, none);
    }

    static ProtoMessage parse(byte[] bytes) {
        return parse(bytes, 0, bytes.length);
    }

    /**
     * Decodes {@code length} bytes of {@code buf} from {@code from}. Offsets in errors count from {@code from}.
     *
     * @throws MalformedMessageException on a truncated field, a varint over 64 bits, field number 0, a tag over
     *                                   32 bits, or a wire type CRIU does not write (3, 4, 6, 7)
     */
    static ProtoMessage parse(byte[] buf, int from, int length) {
        Reader in = new Reader(buf, from, from + length);
        List<Field> fields = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        while (in.pos < in.end) {
            int start = in.pos;
            long tag = in.varint("field tag");
            if (tag > U32_MAX) throw in.error(start, "field tag " + Long.toUnsignedString(tag) + " exceeds 32 bits");
            long number = tag >>> 3;
            if (number == 0) throw in.error(start, "field number 0 (tag " + tag + ")");
            WireType type = WireType.ofId((int) (tag & 7));
            if (type == null) {
                throw in.error(start, "field " + number + ": unsupported " + WireType.describeInvalid((int) (tag & 7)));
            }
            long bits = 0;
            byte[] content = new byte[0];
            switch (type) {
                case VARINT -> bits = in.varint("value of field " + number);
                case I32 -> bits = in.fixed(4, number);
                case I64 -> bits = in.fixed(8, number);
                case LEN -> {
                    int lengthAt = in.pos;
                    long len = in.varint("length of field " + number);
                    if (len > in.end - in.pos) {
                        throw in.error(lengthAt, "field " + number + ": length " + Long.toUnsignedString(len)
                                + " exceeds the " + (in.end - in.pos) + " bytes left in the message");
                    }
                    content = Arrays.copyOfRange(buf, in.pos, in.pos + (int) len);
                    in.pos += (int) len;
                }
            }
            fields.add(new Field((int) number, type, bits, content, Arrays.copyOfRange(buf, start, in.pos)));
            offsets.add(start - from);
        }
        return new ProtoMessage(fields, offsets.stream().mapToInt(Integer::intValue).toArray());
    }

    byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(size());
        for (Field f : fields) out.writeBytes(f.encoding());
        return out.toByteArray();
    }

    int size() {
        int n = 0;
        for (Field f : fields) n += f.encoding().length;
        return n;
    }

    List<Field> fields() {
        return fields;
    }

    List<Field> all(int number) {
        return fields.stream().filter(f -> f.number() == number).toList();
    }

    /** The field {@code number}, which must appear at most once (CRIU writes no duplicates). */
    Optional<Field> optional(int number, String name) {
        List<Field> found = all(number);
        if (found.size() > 1) {
            throw new MalformedMessageException(offsetOf(found.get(1)),
                    "field " + number + " (" + name + ") appears " + found.size() + " times, expected at most once");
        }
        return found.stream().findFirst();
    }

    Field required(int number, String name) {
        return optional(number, name).orElseThrow(() -> new MalformedMessageException(0,
                "required field " + number + " (" + name + ") is missing"));
    }

    long uint32(int number, String name) {
        return checkUint32(required(number, name), name);
    }

    OptionalLong optionalUint32(int number, String name) {
        return optional(number, name).map(f -> OptionalLong.of(checkUint32(f, name))).orElse(OptionalLong.empty());
    }

    boolean optionalBool(int number, String name) {
        return optional(number, name).map(f -> {
            expect(f, WireType.VARINT, name);
            if (f.bits() > 1) throw new MalformedMessageException(offsetOf(f), name + " is not a bool: " + f.bits());
            return f.bits() == 1;
        }).orElse(false);
    }

    /** The values of a {@code repeated uint32} field, packed or not (protobuf readers accept both). */
    long[] repeatedUint32(int number, String name) {
        List<Long> values = new ArrayList<>();
        for (Field f : all(number)) {
            if (f.type() == WireType.LEN) {
                ProtoMessage.Reader in = new Reader(f.content(), 0, f.content().length);
                int base = offsetOf(f) < 0 ? 0 : offsetOf(f) + f.contentOffset();
                try {
                    while (in.pos < in.end) {
                        int at = in.pos;
                        values.add(checkUint32Value(in.varint(name), at, number, name));
                    }
                } catch (MalformedMessageException e) {
                    throw e.shiftedBy(base);
                }
            } else {
                values.add(checkUint32(f, name));
            }
        }
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    /** True when the repeated field {@code number} is written packed (one LEN field). */
    boolean isPacked(int number) {
        return all(number).stream().anyMatch(f -> f.type() == WireType.LEN);
    }

    /** The sub-message in LEN field {@code number}; errors inside it are reported at offsets in this message. */
    ProtoMessage nested(int number, String name) {
        Field f = required(number, name);
        expect(f, WireType.LEN, name);
        return parseNested(f);
    }

    Optional<ProtoMessage> optionalNested(int number, String name) {
        return optional(number, name).map(f -> {
            expect(f, WireType.LEN, name);
            return parseNested(f);
        });
    }

    private ProtoMessage parseNested(Field f) {
        try {
            return parse(f.content());
        } catch (MalformedMessageException e) {
            throw e.shiftedBy(Math.max(0, offsetOf(f)) + f.contentOffset());
        }
    }

    /**
     * This message with every field {@code number} replaced by {@code replacements}, which take the place of the
     * first field replaced or, when there was none, go before the first field with a higher number (protobuf-c
     * writes fields in number order). Every other field keeps its bytes and its place.
     */
    ProtoMessage replacing(int number, List<Field> replacements) {
        for (Field r : replacements) {
            if (r.number() != number) throw new IllegalArgumentException("replacement " + r + " is not field " + number);
        }
        List<Field> out = new ArrayList<>();
        List<Integer> outOffsets = new ArrayList<>();
        boolean placed = false;
        for (int i = 0; i < fields.size(); i++) {
            Field f = fields.get(i);
            if (!placed && (f.number() == number || f.number() > number)) {
                for (Field r : replacements) {
                    out.add(r);
                    outOffsets.add(-1);
                }
                placed = true;
            }
            if (f.number() == number) continue;
            out.add(f);
            outOffsets.add(offsets[i]);
        }
        if (!placed) {
            for (Field r : replacements) {
                out.add(r);
                outOffsets.add(-1);
            }
        }
        return new ProtoMessage(out, outOffsets.stream().mapToInt(Integer::intValue).toArray());
    }

    ProtoMessage replacing(Field replacement) {
        return replacing(replacement.number(), List.of(replacement));
    }

    private int offsetOf(Field f) {
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i) == f) return offsets[i];
        }
        return -1;
    }

    private long checkUint32(Field f, String name) {
        expect(f, WireType.VARINT, name);
        return checkUint32Value(f.bits(), offsetOf(f), f.number(), name);
    }

    private static long checkUint32Value(long value, int offset, int number, String name) {
        if (value < 0 || value > U32_MAX) {
            throw new MalformedMessageException(Math.max(0, offset),
                    "field " + number + " (" + name + ") is not a uint32: " + Long.toUnsignedString(value));
        }
        return value;
    }

    private void expect(Field f, WireType type, String name) {
        if (f.type() != type) {
            throw new MalformedMessageException(Math.max(0, offsetOf(f)),
                    "field " + f.number() + " (" + name + ") has wire type " + f.type() + ", expected " + type);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProtoMessage m && m.fields.equals(fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
    }

    @Override
    public String toString() {
        return fields.toString();
    }

    /** A cursor over one message's bytes. */
    private static final class Reader {
        final byte[] buf;
        final int from;
        final int end;
        int pos;

        Reader(byte[] buf, int from, int end) {
            this.buf = buf;
            this.from = from;
            this.end = end;
            this.pos = from;
        }

        long varint(String what) {
            int start = pos;
            long value = 0;
            for (int i = 0; i < MAX_VARINT_BYTES; i++) {
                if (pos >= end) throw error(start, "truncated varint (" + what + ")");
                int b = buf[pos++] & 0xFF;
                if (i == MAX_VARINT_BYTES - 1 && b > 1) throw error(start, "varint over 64 bits (" + what + ")");
                value |= (long) (b & 0x7F) << (7 * i);
                if ((b & 0x80) == 0) return value;
            }
            throw error(start, "varint longer than " + MAX_VARINT_BYTES + " bytes (" + what + ")");
        }

        long fixed(int width, long number) {
            if (end - pos < width) {
                throw error(pos, "field " + number + ": truncated fixed" + (width * 8) + " value ("
                        + (end - pos) + " of " + width + " bytes)");
            }
            long bits = 0;
            for (int i = 0; i < width; i++) bits |= (long) (buf[pos + i] & 0xFF) << (8 * i);
            pos += width;
            return bits;
        }

        MalformedMessageException error(int at, String message) {
            return new MalformedMessageException(at - from, message);
        }
    }
}
