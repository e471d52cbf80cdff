package dev.baton.ckpt.bundle;

import dev.baton.ckpt.keys.ClusterKeys;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bundle throughput against a plain copy of the same bytes, in one run (BENCHMARKS.md). The image is one large
 * pseudo-random pages file (incompressible, like CRIU's pages-*.img) and a few small files; everything stays in
 * the page cache, so this measures the CPU cost of sealing and opening, not the disk.
 * <pre>
 *   ./mvnw -q -B -ntp -pl process-ckpt -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 *   $JAVA_HOME/bin/java -cp process-ckpt/target/test-classes:process-ckpt/target/classes:$(cat /tmp/cp.txt) \
 *       dev.baton.ckpt.bundle.BundleBench [MiB=1024] [rounds=5] [dir=java.io.tmpdir]
 * </pre>
 * Reported per step: the median time and MB/s (of image bytes) over the rounds.
 */
public final class BundleBench {
    public static void main(String[] args) throws Exception {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path base = args.length > 2 ? Path.of(args[2]) : Path.of(System.getProperty("java.io.tmpdir"));
        Path work = Files.createTempDirectory(base, "baton-bundle-bench-");
        try {
            run(work, mib, rounds);
        } finally {
            delete(work);
        }
    }

    private static void run(Path work, long mib, int rounds) throws Exception {
        ClusterKeys a = ClusterKeys.init(work.resolve("keys-a"), "host-a");
        ClusterKeys b = ClusterKeys.issue(work.resolve("keys-a"), "host-b", work.resolve("keys-b"));
        Path image = work.resolve("image");
        Map<String, Long> sizes = new LinkedHashMap<>();
        sizes.put("pages-1.img", mib << 20);
        sizes.put("pagemap-1.img", 64L << 10);
        sizes.put("core-1.img", 8L << 10);
        sizes.put("files.img", 4L << 10);
        Images.create(image, sizes);
        long bytes = sizes.values().stream().mapToLong(Long::longValue).sum();
        Path bundle = work.resolve("image.bundle");
        Manifest partial = Manifest.of("4.2.1", System.getProperty("os.version"), null, List.of());

        // Warm-up: compile the AES-GCM and SHA-256 paths before measuring.
        Path small = work.resolve("warm");
        Images.create(small, Map.of("pages-1.img", 64L << 20));
        for (int i = 0; i < 3; i++) {
            try (OutputStream out = OutputStream.nullOutputStream()) {
                BundleWriter.seal(small, partial, a, out, Progress.NONE);
            }
        }

        Map<String, List<Long>> times = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            Path copy = work.resolve("copy");
            time(times, "plain copy (dir -> dir)", () -> {
                Files.createDirectory(copy);
                for (String name : sizes.keySet()) Files.copy(image.resolve(name), copy.resolve(name));
            });
            delete(copy);
            time(times, "plain read (dir -> null)", () -> {
                for (String name : sizes.keySet()) {
                    try (InputStream in = Files.newInputStream(image.resolve(name))) {
                        in.transferTo(OutputStream.nullOutputStream());
                    }
                }
            });
            time(times, "seal (dir -> null)", () -> BundleWriter.seal(image, partial, a,
                    OutputStream.nullOutputStream(), Progress.NONE));
            time(times, "seal (dir -> file)", () -> {
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(bundle), 1 << 16)) {
                    BundleWriter.seal(image, partial, a, out, Progress.NONE);
                }
            });
            time(times, "verify (file -> null)", () -> {
                try (InputStream in = Files.newInputStream(bundle)) {
                    BundleReader.verify(in, b);
                }
            });
            Path opened = work.resolve("opened");
            time(times, "open (file -> dir)", () -> {
                try (InputStream in = Files.newInputStream(bundle)) {
                    BundleReader.open(in, b, opened, Progress.NONE);
                }
            });
            delete(opened);
        }
        System.out.printf("bundle bench: %d MiB image (%d bytes), %d rounds, %d cores, Java %s%n", mib, bytes, rounds,
                Runtime.getRuntime().availableProcessors(), Runtime.version());
        long copyMedian = median(times.get("plain copy (dir -> dir)"));
        for (Map.Entry<String, List<Long>> e : times.entrySet()) {
            long ns = median(e.getValue());
            System.out.printf("  %-26s %8.1f ms  %7.0f MB/s  (%.2fx plain copy)%n", e.getKey(), ns / 1e6,
                    bytes / (ns / 1e9) / 1e6, (double) ns / copyMedian);
        }
    }

    interface Step {
        void run() throws Exception;
    }

    private static void time(Map<String, List<Long>> times, String name, Step step) throws Exception {
        long start = System.nanoTime();
        step.run();
        times.computeIfAbsent(name, k -> new ArrayList<>()).add(System.nanoTime() - start);
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
