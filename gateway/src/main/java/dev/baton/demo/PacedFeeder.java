package dev.baton.demo;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Feeds a stock program's standard input at a steady rate, 512 bytes at a time, from a thread of its own: the
 * bytes an unmodified peer sends during a move. {@link Content} says what byte {@code offset} onwards is, so the
 * receiving end can check it; an optional copy keeps what was fed for a byte-for-byte comparison.
 */
public final class PacedFeeder implements AutoCloseable {
    /** Fills {@code chunk} with the bytes from stream offset {@code offset} on. */
    public interface Content {
        void fill(long offset, byte[] chunk);
    }

    public final AtomicLong fed = new AtomicLong();
    public volatile IOException failure;
    private final Thread thread;
    private volatile boolean running = true;

    /** @param copy receives every byte fed, or null */
    public PacedFeeder(String name, OutputStream stdin, int bytesPerSecond, Content content, OutputStream copy) {
        thread = Thread.ofPlatform().daemon().name(name + " stdin").start(() -> {
            byte[] chunk = new byte[512];
            long interval = 1_000_000_000L * chunk.length / bytesPerSecond;
            long next = System.nanoTime();
            try (OutputStream out = copy != null ? copy : OutputStream.nullOutputStream()) {
                while (running) {
                    content.fill(fed.get(), chunk);
                    stdin.write(chunk);
                    stdin.flush();
                    out.write(chunk);
                    fed.addAndGet(chunk.length);
                    next += interval;
                    long wait = next - System.nanoTime();
                    if (wait > 0) LockSupport.parkNanos(wait);
                    else if (wait < -1_000_000_000L) next = System.nanoTime(); // no burst after a pause
                }
            } catch (IOException e) {
                failure = e;
            }
        });
    }

    /** Stops feeding; the copy is complete once this returns. */
    public void stop() throws InterruptedException {
        running = false;
        thread.join(5_000);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
