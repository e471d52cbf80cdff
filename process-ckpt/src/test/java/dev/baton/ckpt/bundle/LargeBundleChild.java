package dev.baton.ckpt.bundle;

import dev.baton.ckpt.keys.ClusterKeys;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
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
 * into a pipe and opens it at the same time with those in {@code KEYS_B} into {@code TARGET}. Prints
 * {@code sealed+opened N bytes in T ms, heap peak P MiB of M MiB}, then {@code bundle: W bytes written, R read}
 * (what {@code seal} returned, what crossed the pipe); exits 1 with the stack trace on failure.
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
            CompletableFuture<Long> sealing = CompletableFuture.supplyAsync(() -> {
                try (OutputStream out = Channels.newOutputStream(pipe.sink())) {
                    return BundleWriter.seal(image, Manifest.of("4.2.1", "6.18.0", null, List.of()), a, out,
                            Progress.NONE);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            // The heap still in use after a full GC when the opener is 1/8 and 7/8 through the content: what both
            // sides hold while streaming, which must not grow with the bytes that went through.
            long[] retained = {-1, -1};
            Progress sampling = (done, total) -> {
                int i = retained[0] < 0 ? 0 : 1;
                if (retained[i] < 0 && total > 0 && done >= (i == 0 ? total / 8 : total / 8 * 7)) {
                    retained[i] = retainedHeap();
                }
            };
            Manifest m;
            long[] read = {0};
            try (InputStream in = new FilterInputStream(Channels.newInputStream(pipe.source())) {
                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = super.read(buf, off, len);
                    if (n > 0) read[0] += n;
                    return n;
                }
            }) {
                m = BundleReader.open(in, b, target, sampling);
            }
            long written = sealing.join();
            long ms = (System.nanoTime() - start) / 1_000_000;
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
            }
            System.out.printf("sealed+opened %d bytes in %d ms, heap peak %d MiB of %d MiB%n", m.totalSize(), ms,
                    peak >> 20, Runtime.getRuntime().maxMemory() >> 20);
            System.out.printf("bundle: %d bytes written, %d read%n", written, read[0]);
            System.out.printf("retained after GC: %d bytes at 1/8 of the content, %d bytes at 7/8%n", retained[0],
                    retained[1]);
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.exit(1);
        }
    }

    private static long retainedHeap() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
