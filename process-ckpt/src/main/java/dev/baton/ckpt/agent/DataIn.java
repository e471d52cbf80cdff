package dev.baton.ckpt.agent;

import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bundle arriving on a connection, as an {@link InputStream}. The connection's reader adds DATA chunks; the
 * consumer reads them and, for each chunk used up, grants the sender as many bytes of window again. The sender
 * never has more than {@link Connection#WINDOW} bytes unconsumed here, so the reader never blocks on this buffer
 * and keeps reading hook answers while the consumer is busy.
 */
final class DataIn extends InputStream {
    private final FrameWriter window;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private byte[] current;
    private int pos;
    private long buffered;
    private boolean ended;
    private boolean closed;
    private IOException failure;

    DataIn(FrameWriter window) {
        this.window = window;
    }

    /** From the reader: the next chunk. */
    void add(byte[] chunk) throws IOException {
        lock.lock();
        try {
            if (ended) throw new ProtocolException("DATA after END");
            if (!closed) {
                if (buffered + chunk.length > Connection.WINDOW) {
                    throw new ProtocolException("the sender went past its window of " + Connection.WINDOW + " bytes");
                }
                buffered += chunk.length;
                chunks.add(chunk);
                changed.signalAll();
                return;
            }
        } finally {
            lock.unlock();
        }
        // The consumer is gone: drop the chunk, but let the sender finish.
        window.window(chunk.length);
    }

    /** From the reader: the bundle is complete. */
    void end() {
        lock.lock();
        try {
            ended = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The bundle will not be completed: reads fail with {@code cause} (once everything before END was read, no). */
    void fail(IOException cause) {
        lock.lock();
        try {
            if (failure == null) failure = cause;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return 0;
        int n;
        int usedUp = 0;
        lock.lock();
        try {
            while (current == null) {
                if (closed) throw new IOException("bundle stream closed");
                current = chunks.poll();
                pos = 0;
                if (current != null) break;
                if (ended) return -1;
                if (failure != null) throw new IOException(failure.getMessage(), failure);
                changed.awaitUninterruptibly();
            }
            n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            if (pos == current.length) {
                usedUp = current.length;
                buffered -= usedUp;
                current = null;
                if (ended) usedUp = 0; // nothing more will come: no window to grant
            }
        } finally {
            lock.unlock();
        }
        // Outside the lock: a window frame may wait behind a DATA frame on the writer.
        if (usedUp > 0) window.window(usedUp);
        return n;
    }

    @Override
    public int available() {
        lock.lock();
        try {
            return current == null ? 0 : current.length - pos;
        } finally {
            lock.unlock();
        }
    }

    /** Drops what is buffered; later chunks are dropped as they come (their window granted at once). */
    @Override
    public void close() throws IOException {
        int drop;
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            // After END or a failure nothing more will come: no window to grant.
            drop = ended || failure != null ? 0 : (int) buffered;
            buffered = 0;
            chunks.clear();
            current = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (drop > 0) window.window(drop);
    }
}
