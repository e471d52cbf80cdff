package dev.baton.ckpt.bundle;

import dev.baton.ckpt.bundle.BundleException.Reason;

import javax.crypto.AEADBadTagException;
import javax.crypto.Mac;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.function.LongConsumer;

/**
 * The plaintext side of a bundle being opened: reads frames from {@code in}, authenticates and decrypts each, and
 * serves its bytes; end of stream after the last chunk. Only authenticated bytes ever come out. Memory: one frame
 * and two chunks of plaintext (one being hashed while the next is decrypted).
 *
 * <p>Bytes served by {@code read} are the bundle's structure and go into the structure MAC; file contents go
 * through {@link #copyTo}, into their own digest instead.
 */
final class ChunkOpener extends InputStream {
    private final DataInputStream in;
    private final ChunkCipher chunks;
    private final Mac structure;
    private final ContentHasher hasher;
    private final byte[] frame;
    private final byte[][] buffers;
    private int current;
    private byte[] plain;
    private int pos;
    private int limit;
    private long index;
    private boolean lastSeen;

    ChunkOpener(DataInputStream in, ChunkCipher chunks, Mac structure, ContentHasher hasher) {
        this.in = in;
        this.chunks = chunks;
        this.structure = structure;
        this.hasher = hasher;
        this.frame = new byte[chunks.chunkSize() + BundleFormat.TAG_BYTES];
        this.buffers = new byte[][] {new byte[chunks.chunkSize()], new byte[chunks.chunkSize()]};
        this.plain = buffers[0];
    }

    @Override
    public int read() throws IOException {
        if (!fill()) return -1;
        structure.update(plain[pos]);
        return plain[pos++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        if (!fill()) return -1;
        int n = Math.min(len, limit - pos);
        System.arraycopy(plain, pos, b, off, n);
        structure.update(plain, pos, n);
        pos += n;
        return n;
    }

    /**
     * Writes exactly {@code count} bytes to {@code out} straight from the chunk buffer, hashing them into
     * {@code digest} (in the background: take the result from {@link ContentHasher#digest}).
     *
     * @throws EOFException when the plaintext ends first
     */
    void copyTo(OutputStream out, long count, MessageDigest digest, LongConsumer onBytes) throws IOException {
        long remaining = count;
        while (remaining > 0) {
            if (!fill()) throw new EOFException((count - remaining) + " of " + count + " bytes");
            int n = (int) Math.min(remaining, limit - pos);
            hasher.update(current, digest, plain, pos, n);
            out.write(plain, pos, n);
            pos += n;
            remaining -= n;
            onBytes.accept(n);
        }
    }

    /** Whether the last chunk has been read and all its bytes served. */
    boolean atEnd() throws IOException {
        return !fill();
    }

    /** False at the end of the last chunk; otherwise makes sure there are bytes to serve. */
    private boolean fill() throws IOException {
        while (pos == limit) {
            if (lastSeen) return false;
            next();
        }
        return true;
    }

    private String after() {
        return index == 0 ? "after the header" : "after chunk " + (index - 1);
    }

    private void next() throws IOException {
        int tag = in.read();
        if (tag < 0) {
            throw new BundleException(Reason.TRUNCATED, "the stream ends " + after() + ", before the last chunk");
        }
        if (tag == BundleFormat.SIGNATURE) {
            throw new BundleException(Reason.TRUNCATED, "the encrypted stream ends " + after()
                    + " without its last chunk");
        }
        if (tag != BundleFormat.CHUNK && tag != BundleFormat.LAST_CHUNK) {
            throw new BundleException(Reason.TAMPERED, "byte " + tag + " where chunk " + index + " should start");
        }
        boolean last = tag == BundleFormat.LAST_CHUNK;
        int length;
        try {
            length = in.readInt();
            if (length < BundleFormat.TAG_BYTES || length > frame.length || !last && length != frame.length) {
                throw new BundleException(Reason.TAMPERED, "chunk " + index + " has an invalid length " + length);
            }
            in.readFully(frame, 0, length);
        } catch (EOFException e) {
            throw new BundleException(Reason.TRUNCATED, "the stream ends inside chunk " + index, e);
        }
        if (index >= BundleFormat.MAX_CHUNKS) {
            throw new BundleException(Reason.TAMPERED, "more than 2^32 chunks");
        }
        int target = current ^ 1;
        hasher.awaitBuffer(target);
        try {
            limit = chunks.open(index, last, frame, length, buffers[target]);
        } catch (AEADBadTagException e) {
            throw new BundleException(Reason.TAMPERED, "chunk " + index + (last ? " (the last)" : "")
                    + " fails authentication: modified, moved or from another bundle", e);
        }
        current = target;
        plain = buffers[target];
        pos = 0;
        index++;
        lastSeen = last;
    }
}
