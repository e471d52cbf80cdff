package dev.baton.ckpt.bundle;

import dev.baton.ckpt.keys.ClusterKeys;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
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
import java.util.concurrent.CompletableFuture;

/**
 * Bundle throughput against a plain copy of the same bytes, in one run (BENCHMARKS.md). The image is one large
 * pseudo-random pages file (incompressible, like CRIU's pages-*.img) and a few small files; everything stays in
 * the page cache (each step starts after a {@code sync}), so this measures the CPU cost of sealing and opening
 * more than the disk.
 * <pre>
 *   ./mvnw -q -B -ntp -pl process-ckpt -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 *   $JAVA_HOME/bin/java -cp process-ckpt/target/test-classes:process-ckpt/target/classes:$(cat /tmp/cp.txt) \
 *       dev.baton.ckpt.bundle.BundleBench [MiB=1024] [rounds=5] [dir=java.io.tmpdir]
 * </pre>
 * Reported per step: the median time and MB/s (of image bytes) over the rounds. Two baselines: {@code Files.copy}
 * (the kernel copies, {@code copy_file_range}) and a stream copy through a 1 MiB buffer in Java, as anything that
 * ships the bytes through a Java stream (a socket, a pipe) does; ratios are against the latter.
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
            time(times, "Files.copy (dir -> dir)", () -> {
                Files.createDirectory(copy);
                for (String name : sizes.keySet()) Files.copy(image.resolve(name), copy.resolve(name));
            });
            delete(copy);
            time(times, "stream copy (dir -> dir)", () -> {
                Files.createDirectory(copy);
                byte[] buffer = new byte[1 << 20];
                for (String name : sizes.keySet()) {
                    try (InputStream in = Files.newInputStream(image.resolve(name));
                         OutputStream out = Files.newOutputStream(copy.resolve(name))) {
                        for (int n; (n = in.read(buffer)) > 0; ) out.write(buffer, 0, n);
                    }
                }
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
            Path shipped = work.resolve("shipped");
            time(times, "ship plain (dir -> pipe -> dir)", () -> shipPlain(image, sizes, shipped));
            delete(shipped);
            time(times, "ship sealed (seal -> pipe -> open)", () -> shipSealed(image, partial, a, b, shipped));
            delete(shipped);
        }
        System.out.printf("bundle bench: %d MiB image (%d bytes), %d rounds, %d cores, Java %s%n", mib, bytes, rounds,
                Runtime.getRuntime().availableProcessors(), Runtime.version());
        long copyMedian = median(times.get("stream copy (dir -> dir)"));
        for (Map.Entry<String, List<Long>> e : times.entrySet()) {
            long ns = median(e.getValue());
            System.out.printf("  %-26s %8.1f ms  %7.0f MB/s  (%.2fx stream copy)%n", e.getKey(), ns / 1e6,
                    bytes / (ns / 1e9) / 1e6, (double) ns / copyMedian);
        }
    }

    /** The image's files through a pipe, one thread writing, another reading into a new directory. */
    private static void shipPlain(Path image, Map<String, Long> sizes, Path target) throws Exception {
        Pipe pipe = Pipe.open();
        CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
            try (OutputStream out = Channels.newOutputStream(pipe.sink())) {
                for (String name : sizes.keySet()) Files.copy(image.resolve(name), out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Files.createDirectory(target);
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Channels.newInputStream(pipe.source())) {
            for (Map.Entry<String, Long> f : sizes.entrySet()) {
                try (OutputStream out = Files.newOutputStream(target.resolve(f.getKey()))) {
                    for (long left = f.getValue(); left > 0; ) {
                        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                        out.write(buffer, 0, n);
                        left -= n;
                    }
                }
            }
        }
        sender.join();
    }

    /** The same through a bundle: sealed into the pipe by one thread, opened from it by another. */
    private static void shipSealed(Path image, Manifest partial, ClusterKeys a, ClusterKeys b, Path target)
            throws Exception {
        Pipe pipe = Pipe.open();
        CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
            try (OutputStream out = Channels.newOutputStream(pipe.sink())) {
                BundleWriter.seal(image, partial, a, out, Progress.NONE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try (InputStream in = Channels.newInputStream(pipe.source())) {
            BundleReader.open(in, b, target, Progress.NONE);
        }
        sender.join();
    }

    interface Step {
        void run() throws Exception;
    }

    /** Each step starts with no dirty pages pending, so none pays for the previous step's writes. */
    private static void time(Map<String, List<Long>> times, String name, Step step) throws Exception {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
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
