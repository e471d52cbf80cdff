package dev.baton.ckpt.criu;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * CRIU's {@code stats-dump} and {@code stats-restore} images: two magic numbers (service image, stats), one
 * length-prefixed {@code stats_entry} with a {@code dump} (1) or {@code restore} (2) message of varint counters
 * (images/stats.proto). Times are in microseconds. Anything unexpected reads as "no stats": they are informative.
 */
final class StatsImage {
    private static final int SERVICE_MAGIC = 0x55105940, STATS_MAGIC = 0x57093306;

    private StatsImage() {}

    static Optional<DumpStats> dump(Path imagesDir) {
        return read(imagesDir.resolve("stats-dump"), 1).map(f -> new DumpStats(
                micros(f, 1), micros(f, 2), micros(f, 3), micros(f, 4), f.getOrDefault(5, 0L), f.getOrDefault(7, 0L)));
    }

    static Optional<RestoreStats> restore(Path dir) {
        return read(dir.resolve("stats-restore"), 2).map(f -> new RestoreStats(
                micros(f, 3), micros(f, 4), f.getOrDefault(5, 0L)));
    }

    private static Duration micros(Map<Integer, Long> fields, int number) {
        return Duration.ofNanos(fields.getOrDefault(number, 0L) * 1000);
    }

    /** The varint fields of sub-message {@code which} of the stats entry in {@code file}. */
    private static Optional<Map<Integer, Long>> read(Path file, int which) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            if (b.remaining() < 12 || b.getInt() != SERVICE_MAGIC || b.getInt() != STATS_MAGIC) return Optional.empty();
            int size = b.getInt();
            if (size < 0 || size > b.remaining()) return Optional.empty();
            CodedInputStream entry = CodedInputStream.newInstance(b.array(), b.position(), size);
            while (!entry.isAtEnd()) {
                int tag = entry.readTag();
                if (WireFormat.getTagFieldNumber(tag) == which
                        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    return Optional.of(varints(CodedInputStream.newInstance(entry.readByteArray())));
                }
                entry.skipField(tag);
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // not written (e.g. an older CRIU), or unreadable
        }
    }

    private static Map<Integer, Long> varints(CodedInputStream in) throws IOException {
        Map<Integer, Long> fields = new HashMap<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT) {
                fields.put(WireFormat.getTagFieldNumber(tag), in.readUInt64());
            } else {
                in.skipField(tag);
            }
        }
        return fields;
    }
}
