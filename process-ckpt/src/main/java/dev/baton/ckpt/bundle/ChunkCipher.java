package dev.baton.ckpt.bundle;

import dev.baton.ckpt.bundle.BundleFormat.Header;
import dev.baton.ckpt.keys.ClusterKeys;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import java.security.GeneralSecurityException;

/**
 * The AES-256-GCM of one bundle's chunks, for sealing and opening alike: the content key derived for this bundle,
 * and every chunk bound to the bundle's header, its index and whether it is the last, through its nonce and AAD
 * ({@link BundleFormat}). Not thread-safe: one per bundle being sealed or opened.
 */
final class ChunkCipher {
    private final Header header;
    private final SecretKey key;
    private final Cipher cipher;

    ChunkCipher(ClusterKeys keys, Header header) {
        this.header = header;
        this.key = BundleFormat.contentKey(keys, header);
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no AES-GCM", e);
        }
    }

    /** Plaintext bytes per chunk (every chunk but the last is full). */
    int chunkSize() {
        return header.chunkSize();
    }

    /**
     * Encrypts {@code plain[0, length)} as chunk {@code index} into {@code out} at {@code offset}.
     *
     * @return the ciphertext's length: {@code length} + {@link BundleFormat#TAG_BYTES}
     */
    int seal(long index, boolean last, byte[] plain, int length, byte[] out, int offset) {
        try {
            init(Cipher.ENCRYPT_MODE, index, last);
            return cipher.doFinal(plain, 0, length, out, offset);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM refused to encrypt chunk " + index, e);
        }
    }

    /**
     * Authenticates {@code sealed[0, length)} as chunk {@code index} of this bundle and decrypts it into
     * {@code plain} at 0.
     *
     * @return the plaintext's length
     * @throws AEADBadTagException when it is not that chunk of this bundle: modified, moved or from elsewhere
     */
    int open(long index, boolean last, byte[] sealed, int length, byte[] plain) throws AEADBadTagException {
        try {
            init(Cipher.DECRYPT_MODE, index, last);
            return cipher.doFinal(sealed, 0, length, plain, 0);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM refused to decrypt chunk " + index, e);
        }
    }

    private void init(int mode, long index, boolean last) throws GeneralSecurityException {
        cipher.init(mode, key, new GCMParameterSpec(128, BundleFormat.nonce(header, index, last)));
        cipher.updateAAD(BundleFormat.aad(header, index, last));
    }
}
