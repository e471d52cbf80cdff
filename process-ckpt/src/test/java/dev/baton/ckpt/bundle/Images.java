package dev.baton.ckpt.bundle;

import dev.baton.ckpt.keys.ClusterKeys;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Test images: directories of files with pseudo-random content, sealed bundles as bytes, and their layout. */
final class Images {
    static final int MiB = 1 << 20;

    private Images() {}

    /** Writes {@code size} pseudo-random bytes (a fast PRNG, seeded) to {@code file} and returns their SHA-256. */
    static String write(Path file, long size, long seed) throws IOException {
        MessageDigest sha = BundleFormat.sha256();
        try (OutputStream out = Files.newOutputStream(file)) {
            SplittableRandom random = new SplittableRandom(seed);
            ByteBuffer block = ByteBuffer.allocate(MiB).order(ByteOrder.LITTLE_ENDIAN);
            for (long left = size; left > 0; ) {
                block.clear();
                while (block.hasRemaining()) block.putLong(random.nextLong());
                int n = (int) Math.min(left, MiB);
                sha.update(block.array(), 0, n);
                out.write(block.array(), 0, n);
                left -= n;
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Creates {@code dir} with one file per entry (name → size) and returns name → SHA-256. */
    static Map<String, String> create(Path dir, Map<String, Long> sizes) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> hashes = new LinkedHashMap<>();
        long seed = 1;
        for (Map.Entry<String, Long> e : sizes.entrySet()) hashes.put(e.getKey(), write(dir.resolve(e.getKey()), e.getValue(), seed++));
        return hashes;
    }

    static String sha256(Path file) throws IOException {
        MessageDigest sha = BundleFormat.sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[MiB];
            for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The bundle of {@code imageDir}, checking that {@link BundleWriter#seal} counts the bytes it wrote. */
    static byte[] seal(Path imageDir, ClusterKeys keys) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long written = BundleWriter.seal(imageDir, Manifest.of("4.2.1", "6.18.0", null, List.of()), keys, out,
                Progress.NONE);
        assertEquals(out.size(), written, "the bytes seal says it wrote");
        return out.toByteArray();
    }

    static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * Where the parts of a bundle are: the header's length, each chunk frame (offset of its tag, length with the
     * 5-byte frame header) and the tail's offset.
     */
    record Layout(int headerLength, List<Frame> chunks, int tail) {
        record Frame(int offset, int length, boolean last) {}

        static Layout of(byte[] bundle) {
            ByteBuffer b = ByteBuffer.wrap(bundle);
            int certLength = b.getShort(8 + 2 + 4 + 32 + 7) & 0xffff;
            int header = 8 + 2 + 4 + 32 + 7 + 2 + certLength + 32 + 64;
            List<Frame> frames = new java.util.ArrayList<>();
            int at = header;
            while (bundle[at] != 'S') {
                int length = 5 + b.getInt(at + 1);
                frames.add(new Frame(at, length, bundle[at] == 'L'));
                at += length;
            }
            return new Layout(header, List.copyOf(frames), at);
        }
    }
}
