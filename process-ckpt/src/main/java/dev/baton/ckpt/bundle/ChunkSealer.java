package dev.baton.ckpt.bundle;

import javax.crypto.Mac;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.function.LongConsumer;

/**
 * The plaintext side of a bundle being sealed: bytes written here are cut into chunks, each encrypted and written
 * as a frame to {@code out}. A full chunk is only written when more bytes follow, so {@link #finish} can flag the
 * last one whatever the length. Memory: two chunks of plaintext (one being hashed while the other fills) and
 * one frame.
 *
 * <p>Bytes written with {@code write} are the bundle's structure and go into the structure MAC; file contents go
 * through {@link #writeFrom}, into their own digest instead.
 */
final class ChunkSealer extends OutputStream {
    private static final int FRAME_HEADER = 5;

    private final OutputStream out;
    private final ChunkCipher chunks;
    private final Mac structure;
    private final ContentHasher hasher;
    private final byte[][] buffers;
    private final byte[] frame;
    private int current;
    private byte[] plain;
    private int filled;
    private long index;
    private long written;
    private boolean finished;

    ChunkSealer(OutputStream out, ChunkCipher chunks, Mac structure, ContentHasher hasher) {
        this.out = out;
        this.chunks = chunks;
        this.structure = structure;
        this.hasher = hasher;
        this.buffers = new byte[][] {new byte[chunks.chunkSize()], new byte[chunks.chunkSize()]};
        this.plain = buffers[0];
        this.frame = new byte[FRAME_HEADER + chunks.chunkSize() + BundleFormat.TAG_BYTES];
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        structure.update(b, off, len);
        while (len > 0) {
            if (filled == plain.length) emit(false);
            int n = Math.min(len, plain.length - filled);
            System.arraycopy(b, off, plain, filled, n);
            filled += n;
            off += n;
            len -= n;
        }
    }

    /**
     * Reads exactly {@code count} bytes from {@code in} straight into the chunk buffer, hashing them into
     * {@code digest} (in the background: take the result from {@link ContentHasher#digest}) and telling
     * {@code onBytes} how many came each time.
     *
     * @throws EOFException when {@code in} ends first
     */
    void writeFrom(InputStream in, long count, MessageDigest digest, LongConsumer onBytes) throws IOException {
        long remaining = count;
        while (remaining > 0) {
            if (filled == plain.length) emit(false);
            int n = in.read(plain, filled, (int) Math.min(remaining, plain.length - filled));
            if (n < 0) throw new EOFException((count - remaining) + " of " + count + " bytes");
            hasher.update(current, digest, plain, filled, n);
            filled += n;
            remaining -= n;
            onBytes.accept(n);
        }
    }

    /** The bytes of the frames written to {@code out} so far. */
    long written() {
        return written;
    }

    /** Writes what is buffered as the last chunk. */
    void finish() throws IOException {
        if (finished) throw new IllegalStateException("already finished");
        emit(true);
        finished = true;
    }

    private void emit(boolean last) throws IOException {
        if (finished) throw new IllegalStateException("write after the last chunk");
        if (index >= BundleFormat.MAX_CHUNKS) throw new IOException("a bundle holds at most 2^32 chunks");
        int length = chunks.seal(index, last, plain, filled, frame, FRAME_HEADER);
        frame[0] = last ? BundleFormat.LAST_CHUNK : BundleFormat.CHUNK;
        frame[1] = (byte) (length >>> 24);
        frame[2] = (byte) (length >>> 16);
        frame[3] = (byte) (length >>> 8);
        frame[4] = (byte) length;
        out.write(frame, 0, FRAME_HEADER + length);
        written += FRAME_HEADER + length;
        current ^= 1;
        hasher.awaitBuffer(current);
        plain = buffers[current];
        filled = 0;
        index++;
    }
}
