package dev.baton.ckpt.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** A "bundle" of pseudo-random bytes from a seed, made as it is read, and the SHA-256 it must arrive with. */
record PseudoBundle(long seed, long size) {
    private static final int BLOCK = 64 * 1024;

    /** Its bytes, generated as they are read: nothing of it is held in memory. */
    InputStream open() {
        return new InputStream() {
            private final SplittableRandom random = new SplittableRandom(seed);
            private final byte[] block = new byte[BLOCK];
            private int pos = BLOCK;
            private long left = size;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) return -1;
                if (pos == BLOCK) {
                    random.nextBytes(block);
                    pos = 0;
                }
                int n = (int) Math.min(Math.min(len, BLOCK - pos), left);
                System.arraycopy(block, pos, b, off, n);
                pos += n;
                left -= n;
                return n;
            }
        };
    }

    String sha256() throws IOException {
        return digest(open());
    }

    static String digest(InputStream in) throws IOException {
        MessageDigest md = sha256Digest();
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An output stream that keeps only the digest and the count of what was written to it. */
    static final class DigestSink extends OutputStream {
        private final MessageDigest md = sha256Digest();
        long count;

        @Override
        public void write(int b) {
            md.update((byte) b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            md.update(b, off, len);
            count += len;
        }

        String sha256() {
            return HexFormat.of().formatHex(md.digest());
        }
    }
}
