package dev.baton.ckpt.bundle;

import dev.baton.ckpt.bundle.BundleException.Reason;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.keys.KeysException;

import javax.crypto.KDF;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.HKDFParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * The bundle format, version 1. All integers are big-endian.
 * <pre>
 * header
 *   magic         8  "BATONBDL"
 *   version       2  1
 *   chunk size    4  plaintext bytes per chunk (1 MiB when written; a reader accepts 1 KiB .. 16 MiB)
 *   salt         32  random; per-bundle keys = HKDF-SHA256(ikm = cluster bundle secret, salt, info = label)
 *   nonce prefix  7  random
 *   cert length   2
 *   signer cert   n  DER X.509 of the sealing host (must chain to the cluster CA)
 *   key check    32  HKDF(.., "baton-bundle v1 key check"): tells a wrong bundle key from tampering
 *   header sig   64  Ed25519 by the signer over "baton-bundle v1 header\0" || all header bytes above
 * chunks, one or more
 *   tag           1  'C' (more follow) or 'L' (the last); every 'C' chunk is full
 *   length        4  ciphertext length = plaintext length + 16
 *   ciphertext    n  AES-256-GCM with the content key (HKDF info "baton-bundle v1 content key"),
 *                    nonce = prefix(7) || index(4) || last(1), AAD = SHA-256(header) || index(4) || last(1)
 * tail
 *   tag           1  'S'
 *   signature    64  Ed25519 by the signer over "baton-bundle v1 signature\0" || SHA-256(header) || structure MAC
 * </pre>
 * The chunks are the STREAM construction (as in age and Tink's streaming AEAD): the index in the nonce stops
 * reordering and dropping, the last flag stops truncation and appending at a chunk boundary, the header in the
 * AAD binds each chunk to its bundle. GCM is not key-committing; the key check commits the header to the key.
 *
 * <p>The decrypted chunks carry: the manifest (u32 length, UTF-8 JSON), then per file {@code 'F'}, u16 name
 * length, name (UTF-8), u16 mode (permission bits), u64 size, the bytes, their SHA-256 (32 bytes); then
 * {@code 'E'}. The <em>structure MAC</em> is HMAC-SHA256 (key: HKDF info "baton-bundle v1 structure mac") over
 * all of that except the files' bytes, which their SHA-256 stands for.
 *
 * <p>Why the tail signature covers the plaintext's structure and not a hash of every ciphertext byte: it still
 * covers everything (the header directly; each file through its SHA-256; the chunks because, for a given key and
 * nonce, only one ciphertext decrypts to a given plaintext, and the chunking is fixed by the signed chunk size),
 * yet sealing hashes each byte once instead of twice (SHA-256 is the slowest step, slower than AES-GCM). The
 * symmetric key (which every host holds) lets any host make chunks that authenticate; the signature says which
 * host made these. The MAC is keyed so that someone without the bundle key cannot test a guess of the content
 * against the public signature.
 */
final class BundleFormat {
    static final byte[] MAGIC = "BATONBDL".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int CHUNK_SIZE = 1 << 20;
    static final int MIN_CHUNK_SIZE = 1 << 10;
    static final int MAX_CHUNK_SIZE = 16 << 20;
    static final int SALT_BYTES = 32;
    static final int PREFIX_BYTES = 7;
    static final int KEY_CHECK_BYTES = 32;
    static final int SIGNATURE_BYTES = 64;
    static final int TAG_BYTES = 16;
    /** The chunk index is an unsigned 32-bit number: at most 2^32 chunks (4 PiB with 1 MiB chunks). */
    static final long MAX_CHUNKS = 1L << 32;

    static final byte CHUNK = 'C';
    static final byte LAST_CHUNK = 'L';
    static final byte SIGNATURE = 'S';
    static final byte FILE = 'F';
    static final byte END = 'E';

    static final int MAX_MANIFEST_BYTES = 16 << 20;
    static final int MAX_NAME_BYTES = 255;
    static final int MODE_BITS = 0777;

    private static final byte[] HEADER_SIG_LABEL = label("baton-bundle v1 header");
    private static final byte[] TAIL_SIG_LABEL = label("baton-bundle v1 signature");
    private static final byte[] KEY_CHECK_INFO = label("baton-bundle v1 key check");
    private static final byte[] CONTENT_KEY_INFO = label("baton-bundle v1 content key");
    private static final byte[] STRUCTURE_MAC_INFO = label("baton-bundle v1 structure mac");
    private static final SecureRandom RANDOM = new SecureRandom();

    private BundleFormat() {}

    /**
     * A parsed header. {@code encoded} is all of it, as on the wire; {@code hash} its SHA-256 (the chunks' AAD).
     */
    record Header(int chunkSize, byte[] salt, byte[] noncePrefix, X509Certificate signer, byte[] encoded,
                  byte[] hash) {}

    /** A new header for {@code keys}' host with fresh salt and nonce prefix, signed. */
    static Header newHeader(ClusterKeys keys) {
        byte[] salt = random(SALT_BYTES);
        byte[] prefix = random(PREFIX_BYTES);
        X509Certificate signer = keys.hostCertificate();
        try {
            byte[] cert = signer.getEncoded();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(MAGIC);
            out.writeShort(VERSION);
            out.writeInt(CHUNK_SIZE);
            out.write(salt);
            out.write(prefix);
            out.writeShort(cert.length);
            out.write(cert);
            out.write(derive(keys.bundleKey(), salt, KEY_CHECK_INFO));
            out.write(keys.sign(concat(HEADER_SIG_LABEL, bytes.toByteArray())));
            byte[] encoded = bytes.toByteArray();
            return new Header(CHUNK_SIZE, salt, prefix, signer, encoded, sha256().digest(encoded));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot encode a bundle header", e);
        }
    }

    /**
     * Reads and checks a header: magic, version, chunk size, signer (a host of {@code keys}' cluster), header
     * signature, then the key check. Each failure has its own {@link Reason}, in that order.
     */
    static Header readHeader(DataInputStream in, ClusterKeys keys) throws IOException {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        byte[] magic = new byte[MAGIC.length];
        int n = in.readNBytes(magic, 0, magic.length);
        if (n < magic.length || !Arrays.equals(magic, MAGIC)) {
            throw new BundleException(Reason.NOT_A_BUNDLE, n == 0 ? "empty stream" : "no BATONBDL magic at the start");
        }
        copy.write(magic);
        try {
            DataInputStream h = new DataInputStream(new TeeInput(in, copy));
            int version = h.readUnsignedShort();
            if (version != VERSION) {
                throw new BundleException(Reason.UNSUPPORTED_VERSION, "format version " + version + ", this Baton "
                        + "reads version " + VERSION);
            }
            int chunkSize = h.readInt();
            if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
                throw new BundleException(Reason.TAMPERED, "chunk size " + chunkSize + " out of range");
            }
            byte[] salt = readExactly(h, SALT_BYTES);
            byte[] prefix = readExactly(h, PREFIX_BYTES);
            X509Certificate signer = certificate(readExactly(h, h.readUnsignedShort()));
            String signerName;
            try {
                signerName = keys.checkMember(signer);
            } catch (KeysException e) {
                throw new BundleException(Reason.UNTRUSTED_SIGNER, e.getMessage(), e);
            }
            byte[] keyCheck = readExactly(h, KEY_CHECK_BYTES);
            byte[] signed = copy.toByteArray();
            byte[] signature = readExactly(h, SIGNATURE_BYTES);
            if (!verify(signer, HEADER_SIG_LABEL, signed, signature)) {
                throw new BundleException(Reason.TAMPERED, "the header signature does not verify");
            }
            if (!MessageDigest.isEqual(keyCheck, derive(keys.bundleKey(), salt, KEY_CHECK_INFO))) {
                throw new BundleException(Reason.WRONG_KEY, "this host's bundle key " + keys.bundleKeyId()
                        + " is not the one " + signerName + " sealed the bundle with");
            }
            byte[] encoded = copy.toByteArray();
            return new Header(chunkSize, salt, prefix, signer, encoded, sha256().digest(encoded));
        } catch (EOFException e) {
            throw new BundleException(Reason.TRUNCATED, "the stream ends inside the header", e);
        }
    }

    static SecretKey contentKey(ClusterKeys keys, Header header) {
        try {
            return hkdf().deriveKey("AES", params(keys.bundleKey(), header.salt(), CONTENT_KEY_INFO));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot derive the bundle content key", e);
        }
    }

    /** The GCM nonce of chunk {@code index}: prefix || index || last flag. */
    static byte[] nonce(Header header, long index, boolean last) {
        return ByteBuffer.allocate(12).put(header.noncePrefix()).putInt((int) index).put((byte) (last ? 1 : 0)).array();
    }

    /** The AAD of chunk {@code index}: the header's hash || index || last flag. */
    static byte[] aad(Header header, long index, boolean last) {
        return ByteBuffer.allocate(37).put(header.hash()).putInt((int) index).put((byte) (last ? 1 : 0)).array();
    }

    /** The HMAC-SHA256 over the plaintext's structure (everything but the files' bytes), keyed for this bundle. */
    static Mac structureMac(ClusterKeys keys, Header header) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(derive(keys.bundleKey(), header.salt(), STRUCTURE_MAC_INFO), "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no HmacSHA256", e);
        }
    }

    static byte[] tailSignature(ClusterKeys keys, Header header, byte[] structureMac) {
        return keys.sign(concat(TAIL_SIG_LABEL, concat(header.hash(), structureMac)));
    }

    static boolean verifyTail(Header header, byte[] structureMac, byte[] signature) {
        return verify(header.signer(), TAIL_SIG_LABEL, concat(header.hash(), structureMac), signature);
    }

    /** Writes the start of the plaintext: the manifest's length, then its JSON. */
    static void writeManifest(DataOutputStream plain, Manifest manifest) throws IOException {
        byte[] json = ManifestJson.write(manifest);
        plain.writeInt(json.length);
        plain.write(json);
    }

    /** Writes the start of a file's record in the plaintext: 'F', name, mode, size. Its bytes and SHA-256 follow. */
    static void writeFileHeader(DataOutputStream plain, String name, int mode, long size) throws IOException {
        byte[] encoded = name.getBytes(StandardCharsets.UTF_8);
        plain.writeByte(FILE);
        plain.writeShort(encoded.length);
        plain.write(encoded);
        plain.writeShort(mode);
        plain.writeLong(size);
    }

    /**
     * Null when {@code name} is a safe file name, else why not: no directories, no {@code .} or {@code ..}, no
     * NUL, at most 255 bytes.
     */
    static String unsafeName(String name) {
        if (name.isEmpty()) return "an empty name";
        if (name.equals(".") || name.equals("..")) return "'" + name + "'";
        if (name.indexOf('/') >= 0) return "a path, not a name: '" + name + "'";
        if (name.indexOf('\0') >= 0) return "a NUL in a name";
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) return "a name over 255 bytes";
        return null;
    }

    /** The permission bits of a file's record ({@link #MODE_BITS}) from its POSIX permissions. */
    static int mode(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission p : permissions) mode |= 0400 >> p.ordinal();
        return mode;
    }

    /** The POSIX permissions of a file's record's permission bits: the inverse of {@link #mode}. */
    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission p : PosixFilePermission.values()) {
            if ((mode & 0400 >> p.ordinal()) != 0) permissions.add(p);
        }
        return permissions;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    private static byte[] readExactly(DataInputStream in, int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    private static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new BundleException(Reason.TAMPERED, "the signer certificate cannot be parsed", e);
        }
    }

    private static boolean verify(X509Certificate signer, byte[] label, byte[] message, byte[] signature) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(signer.getPublicKey());
            s.update(label);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static byte[] derive(SecretKey secret, byte[] salt, byte[] info) {
        try {
            return hkdf().deriveData(params(secret, salt, info));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HKDF-SHA256 failed", e);
        }
    }

    private static HKDFParameterSpec.ExtractThenExpand params(SecretKey secret, byte[] salt, byte[] info) {
        return HKDFParameterSpec.ofExtract().addIKM(secret).addSalt(salt).thenExpand(info, 32);
    }

    private static KDF hkdf() throws GeneralSecurityException {
        return KDF.getInstance("HKDF-SHA256");
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static byte[] label(String s) {
        return (s + "\0").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** Copies what is read into {@code copy}: the header's bytes as they came, for its signature and hash. */
    private static final class TeeInput extends java.io.FilterInputStream {
        private final ByteArrayOutputStream copy;

        TeeInput(java.io.InputStream in, ByteArrayOutputStream copy) {
            super(in);
            this.copy = copy;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) copy.write(b);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) copy.write(b, off, n);
            return n;
        }
    }
}
