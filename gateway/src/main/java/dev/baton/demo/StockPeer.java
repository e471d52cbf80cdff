package dev.baton.demo;

import dev.baton.netns.NetNamespace;
import dev.baton.socket.StateJson;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An unmodified program from Debian as the peer: {@code socat - TCP:ADDR}, its standard input fed with
 * {@link StreamPattern} bytes at a steady rate, its standard output (the echo) checked byte for byte as it comes,
 * with the longest wait between two reads. Closing it ends socat (our child, by its own PID).
 */
public final class StockPeer implements AutoCloseable {
    private final Process socat;
    private final PacedFeeder feeder;
    private final AtomicLong read = new AtomicLong();
    private final AtomicLong mismatchAt = new AtomicLong(-1);
    private final AtomicLong longestGapNanos = new AtomicLong();
    private final Thread reader;

    /** What the peer saw: bytes fed and echoed back, the first wrong byte (−1: none), the longest read gap. */
    public record Stats(long fed, long echoed, long mismatchAt, double longestGapMs) {
        public boolean clean() {
            return mismatchAt < 0;
        }
    }

    private StockPeer(Process socat, int bytesPerSecond) {
        this.socat = socat;
        this.feeder = new PacedFeeder("socat", socat.getOutputStream(), bytesPerSecond,
                (offset, chunk) -> StreamPattern.fill(StreamPattern.Direction.FROM_CLIENT, offset, chunk, chunk.length),
                null);
        this.reader = Thread.ofPlatform().daemon().name("socat stdout").start(this::check);
    }

    /** Starts {@code socat - TCP:service} in {@code netns}, streaming {@code bytesPerSecond} to an echo service. */
    public static StockPeer connect(NetNamespace netns, InetSocketAddress service, int bytesPerSecond) throws IOException {
        Process p = new ProcessBuilder(netns.command("socat", "-", "TCP:" + StateJson.format(service)))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        return new StockPeer(p, bytesPerSecond);
    }

    private void check() {
        byte[] buf = new byte[16 * 1024];
        long last = System.nanoTime();
        try (InputStream in = socat.getInputStream()) {
            for (int n; (n = in.read(buf)) > 0; ) {
                long now = System.nanoTime();
                longestGapNanos.accumulateAndGet(now - last, Math::max);
                last = now;
                long offset = read.get();
                int bad = StreamPattern.firstMismatch(StreamPattern.Direction.FROM_CLIENT, offset, buf, n);
                if (bad >= 0) mismatchAt.compareAndSet(-1, offset + bad);
                read.addAndGet(n);
            }
        } catch (IOException ended) {
            // socat ended
        }
    }

    /** Forgets the longest gap so far (to measure it per move). */
    public void resetGap() {
        longestGapNanos.set(0);
    }

    public long pid() {
        return socat.pid();
    }

    public boolean isAlive() {
        return socat.isAlive();
    }

    public Stats stats() {
        return new Stats(feeder.fed.get(), read.get(), mismatchAt.get(), longestGapNanos.get() / 1e6);
    }

    /** Stops feeding and waits until the echo caught up (at most {@code timeoutMs}); returns the final stats. */
    public Stats drain(long timeoutMs) throws InterruptedException {
        feeder.stop();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (read.get() < feeder.fed.get() && System.nanoTime() < deadline && mismatchAt.get() < 0) Thread.sleep(20);
        return stats();
    }

    @Override
    public void close() throws InterruptedException {
        feeder.stop();
        socat.destroy();
        if (!socat.waitFor(5, TimeUnit.SECONDS)) socat.destroyForcibly();
        reader.join(5_000);
    }
}
