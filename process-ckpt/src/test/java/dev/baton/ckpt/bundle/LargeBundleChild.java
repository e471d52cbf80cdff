package dev.baton.ckpt.bundle;

import dev.baton.ckpt.keys.ClusterKeys;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Run by {@link LargeBundleTest} in a JVM with a small heap: seals {@code IMAGE} with the keys in {@code KEYS_A}
 * into a pipe and opens it at the same time with those in {@code KEYS_B} into {@code TARGET}. Prints one line
 * ({@code sealed+opened N bytes in T ms, heap peak P MiB}); exits 1 with the stack trace on failure.
 *   LargeBundleChild KEYS_A KEYS_B IMAGE TARGET
 */
public final class LargeBundleChild {
    public static void main(String[] args) throws Exception {
        ClusterKeys a = ClusterKeys.load(Path.of(args[0]));
        ClusterKeys b = ClusterKeys.load(Path.of(args[1]));
        Path image = Path.of(args[2]);
        Path target = Path.of(args[3]);
        try {
            long start = System.nanoTime();
            Pipe pipe = Pipe.open();
            CompletableFuture<Void> sealing = CompletableFuture.runAsync(() -> {
                try (OutputStream out = Channels.newOutputStream(pipe.sink())) {
                    BundleWriter.seal(image, Manifest.of("4.2.1", "6.18.0", null, List.of()), a, out, Progress.NONE);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Manifest m;
            try (InputStream in = Channels.newInputStream(pipe.source())) {
                m = BundleReader.open(in, b, target, Progress.NONE);
            }
            sealing.join();
            long ms = (System.nanoTime() - start) / 1_000_000;
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
            }
            System.out.printf("sealed+opened %d bytes in %d ms, heap peak %d MiB of %d MiB%n", m.totalSize(), ms,
                    peak >> 20, Runtime.getRuntime().maxMemory() >> 20);
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.exit(1);
        }
    }
}
