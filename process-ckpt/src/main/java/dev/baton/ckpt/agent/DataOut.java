package dev.baton.ckpt.agent;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bundle leaving on a connection, as an {@link OutputStream} for one producer thread. Writes are gathered
 * into chunks of {@link Connection#CHUNK} bytes; a chunk is sent as one DATA frame once the receiver has granted
 * the window for it. When the call ends or the connection is lost, a waiting or later write fails at once.
 */
final class DataOut extends OutputStream {
    private final FrameWriter out;
    private final byte[] chunk = new byte[Connection.CHUNK];
    private int filled;
    private boolean ended;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long window = Connection.WINDOW;
    private IOException failure;

    DataOut(FrameWriter out) {
        this.out = out;
    }

    /** From the reader: the receiver consumed {@code bytes}. */
    void grant(int bytes) {
        lock.lock();
        try {
            window += bytes;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** From the reader: no more bytes will be taken. */
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
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (ended) throw new IOException("bundle stream already ended");
        while (len > 0) {
            int n = Math.min(len, chunk.length - filled);
            System.arraycopy(b, off, chunk, filled, n);
            filled += n;
            off += n;
            len -= n;
            if (filled == chunk.length) send();
        }
    }

    /** Sends the partly filled chunk. */
    @Override
    public void flush() throws IOException {
        if (filled > 0) send();
    }

    /** Only flushes: the end of the bundle is {@link #end()}, sent when the operation returned. */
    @Override
    public void close() throws IOException {
        if (!ended) flush();
    }

    /** Sends what is left and END. */
    void end() throws IOException {
        if (ended) return;
        flush();
        awaitWindow(0);
        out.end();
        ended = true;
    }

    private void send() throws IOException {
        awaitWindow(filled);
        out.data(chunk, 0, filled);
        filled = 0;
    }

    private void awaitWindow(int bytes) throws IOException {
        lock.lock();
        try {
            while (failure == null && window < bytes) changed.awaitUninterruptibly();
            if (failure != null) throw new IOException(failure.getMessage(), failure);
            window -= bytes;
        } finally {
            lock.unlock();
        }
    }
}
