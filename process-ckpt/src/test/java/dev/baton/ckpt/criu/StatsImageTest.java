package dev.baton.ckpt.criu;

import com.google.protobuf.CodedOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** CRIU's stats images: magic, one length-prefixed stats_entry, microsecond counters. */
class StatsImageTest {
    @TempDir
    Path dir;

    /** A stats image holding sub-message {@code which} with varint fields 1..n = values. */
    private static byte[] image(int magic, int which, long... values) throws Exception {
        ByteArrayOutputStream inner = new ByteArrayOutputStream();
        CodedOutputStream in = CodedOutputStream.newInstance(inner);
        for (int i = 0; i < values.length; i++) in.writeUInt64(i + 1, values[i]);
        in.flush();
        ByteArrayOutputStream entry = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(entry);
        out.writeByteArray(which, inner.toByteArray());
        out.flush();
        byte[] e = entry.toByteArray();
        return ByteBuffer.allocate(12 + e.length).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0x55105940).putInt(magic).putInt(e.length).put(e).array();
    }

    @Test
    void dumpStatsAreReadInMicroseconds() throws Exception {
        Files.write(dir.resolve("stats-dump"), image(0x57093306, 1, 1500, 7000, 300, 200, 1000, 0, 900));
        DumpStats s = StatsImage.dump(dir).orElseThrow();
        assertEquals(new DumpStats(Duration.ofNanos(1_500_000), Duration.ofMillis(7), Duration.ofNanos(300_000),
                Duration.ofNanos(200_000), 1000, 900), s);
    }

    @Test
    void restoreStatsAreReadInMicroseconds() throws Exception {
        Files.write(dir.resolve("stats-restore"), image(0x57093306, 2, 0, 0, 2500, 40000, 77));
        assertEquals(new RestoreStats(Duration.ofNanos(2_500_000), Duration.ofMillis(40), 77),
                StatsImage.restore(dir).orElseThrow());
    }

    @Test
    void aWrongMagicATruncatedEntryOrNoFileMeanNoStats() throws Exception {
        Files.write(dir.resolve("stats-dump"), image(0x12345678, 1, 1, 2, 3));
        assertEquals(Optional.empty(), StatsImage.dump(dir));
        byte[] whole = image(0x57093306, 1, 1, 2, 3);
        Files.write(dir.resolve("stats-dump"), java.util.Arrays.copyOf(whole, whole.length - 2));
        assertEquals(Optional.empty(), StatsImage.dump(dir));
        assertEquals(Optional.empty(), StatsImage.restore(dir));
    }
}
