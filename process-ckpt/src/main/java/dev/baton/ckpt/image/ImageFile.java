package dev.baton.ckpt.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One CRIU image file, decoded into its entries without a schema: {@code [head magic] magic {u32 length (little
 * endian), protobuf message, payload}}. {@link #encode()} gives back the bytes it was read from, exactly, as
 * long as no entry was replaced. What it cannot frame it refuses ({@link ImageFormatException}): unknown magic,
 * raw images, kinds whose payload is not framed ({@link ImageKind#framed()}), truncated entries, trailing bytes.
 */
public final class ImageFile {
    private final ImageKind kind;
    private final List<Entry> entries;

    /** One entry: its message and the bytes that follow it (empty for kinds without payload). */
    record Entry(ProtoMessage message, byte[] payload) {
        Entry {
            payload = payload.clone();
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        int payloadLength() {
            return payload.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && e.message.equals(message) && Arrays.equals(e.payload, payload);
        }

        @Override
        public int hashCode() {
            return message.hashCode() * 31 + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Entry" + message + (payload.length > 0 ? " + " + payload.length + " B" : "");
        }
    }

    ImageFile(ImageKind kind, List<Entry> entries) {
        this.kind = kind;
        this.entries = List.copyOf(entries);
    }

    /**
     * Reads and decodes {@code file}.
     *
     * @throws ImageFormatException when the file is not an image this package frames (see the class comment)
     */
    public static ImageFile read(Path file) throws IOException {
        return decode(file.getFileName().toString(), Files.readAllBytes(file));
    }

    /** Decodes the bytes of the image named {@code name} (the name only labels errors and spots raw images). */
    static ImageFile decode(String name, byte[] bytes) throws ImageFormatException {
        if (ImageKind.RAW_FILE_NAME.matcher(name).matches()) {
            throw new ImageFormatException(name, 0, "a raw image (no magic, no entries), not an entry image");
        }
        if (bytes.length < 4) {
            throw new ImageFormatException(name, 0, "expected a 4-byte magic, found " + bytes.length + " bytes");
        }
        int first = le32(bytes, 0);
        ImageKind kind;
        int pos;
        if (first == ImageKind.IMG_COMMON_MAGIC || first == ImageKind.IMG_SERVICE_MAGIC) {
            if (bytes.length < 8) {
                throw new ImageFormatException(name, 4, "expected the image magic after the head magic, found "
                        + (bytes.length - 4) + " bytes");
            }
            int second = le32(bytes, 4);
            kind = ImageKind.ofMagic(second);
            if (kind == null) throw new ImageFormatException(name, 4, "unknown image magic " + hex(second));
            ImageKind.Head expected = first == ImageKind.IMG_COMMON_MAGIC ? ImageKind.Head.COMMON : ImageKind.Head.SERVICE;
            if (kind.head != expected) {
                throw new ImageFormatException(name, 0, "head magic " + hex(first) + " does not go with a " + kind
                        + " image (expected " + kind.head + ")");
            }
            pos = 8;
        } else {
            kind = ImageKind.ofMagic(first);
            if (kind == null) {
                throw new ImageFormatException(name, 0, "unknown magic " + hex(first) + "; expected IMG_COMMON "
                        + hex(ImageKind.IMG_COMMON_MAGIC) + ", IMG_SERVICE " + hex(ImageKind.IMG_SERVICE_MAGIC)
                        + " or INVENTORY " + hex(ImageKind.INVENTORY.magic));
            }
            if (kind.head != ImageKind.Head.NONE) {
                throw new ImageFormatException(name, 0, kind + " magic without the " + kind.head
                        + " head magic (image format v1, before CRIU 1.x images v1.1: not supported)");
            }
            pos = 4;
        }
        if (!kind.framed()) throw new ImageFormatException(name, pos, kind + " image: " + kind.unsupported);

        List<Entry> entries = new ArrayList<>();
        while (pos < bytes.length) {
            int index = entries.size();
            int left = bytes.length - pos;
            if (left < 4) {
                throw new ImageFormatException(name, pos, "entry " + index + ": expected a 4-byte length, found "
                        + left + " trailing bytes");
            }
            long size = Integer.toUnsignedLong(le32(bytes, pos));
            int messageAt = pos + 4;
            if (size > bytes.length - messageAt) {
                throw new ImageFormatException(name, pos, "entry " + index + ": length " + size + " exceeds the "
                        + (bytes.length - messageAt) + " bytes left (truncated image or trailing garbage)");
            }
            ProtoMessage message;
            long payload;
            try {
                message = ProtoMessage.parse(bytes, messageAt, (int) size);
                payload = kind.payloadLength(message);
            } catch (MalformedMessageException e) {
                throw new ImageFormatException(name, messageAt + e.offset(), "entry " + index + ": " + e.getMessage());
            }
            int payloadAt = messageAt + (int) size;
            if (payload > bytes.length - payloadAt) {
                throw new ImageFormatException(name, payloadAt, "entry " + index + ": " + kind + " payload of "
                        + payload + " bytes exceeds the " + (bytes.length - payloadAt) + " bytes left (truncated)");
            }
            entries.add(new Entry(message, Arrays.copyOfRange(bytes, payloadAt, payloadAt + (int) payload)));
            pos = payloadAt + (int) payload;
        }
        return new ImageFile(kind, entries);
    }

    public ImageKind kind() {
        return kind;
    }

    public int entryCount() {
        return entries.size();
    }

    List<Entry> entries() {
        return entries;
    }

    /** This image with entry {@code index} replaced; the payload must still be as long as the message says. */
    ImageFile withEntry(int index, Entry entry) {
        return withEntries(Map.of(index, entry));
    }

    /** This image with the entries at the given indexes replaced, each as {@link #withEntry} checks it. */
    ImageFile withEntries(Map<Integer, Entry> replacements) {
        List<Entry> copy = new ArrayList<>(entries);
        replacements.forEach((index, entry) -> {
            long expected = kind.payloadLength(entry.message());
            if (expected != entry.payloadLength()) {
                throw new IllegalArgumentException(kind + " entry " + index + " says " + expected
                        + " payload bytes but carries " + entry.payloadLength());
            }
            copy.set(index, entry);
        });
        return new ImageFile(kind, copy);
    }

    /** Where the message of entry {@code index} starts in {@link #encode()}'s bytes (after its length word). */
    long messageOffset(int index) {
        long at = kind.head == ImageKind.Head.NONE ? 4 : 8;
        for (int i = 0; i < index; i++) {
            Entry e = entries.get(i);
            at += 4 + e.message().size() + e.payloadLength();
        }
        return at + 4;
    }

    /** The image's bytes: magic words, then every entry framed as CRIU frames it. */
    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (kind.head) {
            case COMMON -> writeLe32(out, ImageKind.IMG_COMMON_MAGIC);
            case SERVICE -> writeLe32(out, ImageKind.IMG_SERVICE_MAGIC);
            case NONE -> { }
        }
        writeLe32(out, kind.magic);
        for (Entry e : entries) {
            byte[] message = e.message().encode();
            writeLe32(out, message.length);
            out.writeBytes(message);
            out.writeBytes(e.payload);
        }
        return out.toByteArray();
    }

    /** Writes this image to {@code file} atomically: a temporary file, flushed, then renamed over it. */
    public void write(Path file) throws IOException {
        AtomicFiles.replace(file, encode());
    }

    static int le32(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }

    private static void writeLe32(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }

    private static String hex(int v) {
        return String.format("0x%08x", v);
    }

    @Override
    public String toString() {
        return kind + " image, " + entries.size() + " entries";
    }
}
