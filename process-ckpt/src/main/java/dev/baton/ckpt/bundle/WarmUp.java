package dev.baton.ckpt.bundle;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

/**
 * Gets the JIT to compile the AES-GCM and SHA-256 paths, once per JVM. A bundle makes one cipher call per 1 MiB
 * chunk, far too few for the JIT's thresholds: in a fresh JVM, chunks are encrypted by the interpreter at
 * ~70 MB/s for the first several hundred MiB, against GB/s once compiled to the CPU's AES and carry-less multiply
 * instructions. Five thousand calls on 1 KiB reach the threshold in ~0.1 s.
 */
final class WarmUp {
    /** Below this much content the interpreter's slowness costs less than warming up. */
    static final long WORTH_IT_BYTES = 16L << 20;
    private static final int CALLS = 5000;
    private static boolean done;

    private WarmUp() {}

    static void ifWorthIt(long contentBytes) {
        if (contentBytes >= WORTH_IT_BYTES) run();
    }

    static synchronized void run() {
        if (done) return;
        try {
            SecretKey key = new SecretKeySpec(new byte[32], "AES");
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] plain = new byte[1024];
            byte[] sealed = new byte[plain.length + BundleFormat.TAG_BYTES];
            for (int i = 0; i < CALLS; i++) {
                byte[] nonce = ByteBuffer.allocate(12).putInt(4, i).array();
                cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
                cipher.updateAAD(nonce);
                int n = cipher.doFinal(plain, 0, plain.length, sealed, 0);
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce));
                cipher.updateAAD(nonce);
                cipher.doFinal(sealed, 0, n, plain, 0);
                sha.update(plain);
            }
            sha.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM warm-up failed", e);
        }
        done = true;
    }
}
