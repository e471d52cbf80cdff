package dev.baton.ckpt.bundle;

import dev.baton.ckpt.bundle.BundleException.Reason;
import dev.baton.ckpt.bundle.BundleFormat.Header;
import dev.baton.ckpt.bundle.Manifest.FileEntry;
import dev.baton.ckpt.keys.ClusterKeys;

import javax.crypto.Mac;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Opens bundles made by {@link BundleWriter}: checks the signer, the key, every chunk and the signature at the
 * tail, and extracts the image only once all of it has passed. Streams: memory stays flat whatever the size.
 */
public final class BundleReader {
    private BundleReader() {}

    /**
     * Extracts the bundle read from {@code in} (to its end) into {@code targetDir}, which must not exist and
     * whose parent must. Files go to a temporary directory next to it, which is renamed to {@code targetDir} only
     * after everything, the signature at the tail included, has been verified. On any failure the temporary
     * directory is removed: nothing is left in {@code targetDir} or next to it.
     *
     * @return the manifest, with each file's SHA-256 as checked against what was extracted
     * @throws BundleException whose {@link BundleException#reason()} says what is wrong
     */
    public static Manifest open(InputStream in, ClusterKeys keys, Path targetDir, Progress progress) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(progress, "progress");
        String step = "opening bundle into " + targetDir;
        try (Extraction extraction = Extraction.begin(targetDir)) {
            Manifest manifest = read(in, keys, extraction, progress);
            extraction.commit();
            return manifest;
        } catch (BundleException e) {
            throw e.inStep(step);
        } catch (IOException e) {
            throw new BundleException(Reason.IO, e.toString(), e).inStep(step);
        }
    }

    /**
     * Checks the bundle read from {@code in} (to its end) as {@link #open} does, without writing anything.
     *
     * @return the manifest, with each file's SHA-256
     */
    public static Manifest verify(InputStream in, ClusterKeys keys) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(keys, "keys");
        try {
            return read(in, keys, (name, mode) -> OutputStream.nullOutputStream(), Progress.NONE);
        } catch (BundleException e) {
            throw e.inStep("verifying bundle");
        } catch (IOException e) {
            throw new BundleException(Reason.IO, e.toString(), e).inStep("verifying bundle");
        }
    }

    /** Where the files of a bundle go as they are read. */
    interface FileSink {
        /** A new file; the stream is closed when the file's bytes have been written. */
        OutputStream create(String name, int mode) throws IOException;
    }

    static Manifest read(InputStream source, ClusterKeys keys, FileSink sink, Progress progress) throws IOException {
        DataInputStream raw = new DataInputStream(new BufferedInputStream(source, 1 << 16));
        Header header = BundleFormat.readHeader(raw, keys);
        Mac structure = BundleFormat.structureMac(keys, header);
        try (ContentHasher hasher = new ContentHasher()) {
            ChunkOpener opener = new ChunkOpener(raw, new ChunkCipher(keys, header), structure, hasher);
            DataInputStream plain = new DataInputStream(opener);
            Manifest manifest = readManifest(plain);
            long total = manifest.totalSize();
            WarmUp.ifWorthIt(total);
            progress.update(0, total);
            long[] done = {0};
            List<FileEntry> checked = new ArrayList<>();
            for (FileEntry expected : manifest.files()) {
                if (plain.readUnsignedByte() != BundleFormat.FILE) {
                    throw malformed("expected the record of " + expected.name());
                }
                String name = new String(plain.readNBytes(plain.readUnsignedShort()), StandardCharsets.UTF_8);
                int mode = plain.readUnsignedShort();
                long size = plain.readLong();
                if (!name.equals(expected.name()) || size != expected.size()) {
                    throw malformed("file " + name + " (" + size + " B) where the manifest lists " + expected.name()
                            + " (" + expected.size() + " B)");
                }
                if ((mode & ~BundleFormat.MODE_BITS) != 0) {
                    throw malformed("mode 0" + Integer.toOctalString(mode) + " of " + name);
                }
                MessageDigest digest = BundleFormat.sha256();
                try (OutputStream out = sink.create(name, mode)) {
                    opener.copyTo(out, size, digest, n -> progress.update(done[0] += n, total));
                }
                byte[] actual = hasher.digest(digest);
                byte[] recorded = plain.readNBytes(32);
                if (!MessageDigest.isEqual(actual, recorded)) {
                    throw malformed("the SHA-256 recorded for " + name + " is not that of its bytes");
                }
                checked.add(new FileEntry(name, size, HexFormat.of().formatHex(actual)));
            }
            if (plain.readUnsignedByte() != BundleFormat.END) throw malformed("more files than the manifest lists");
            if (!opener.atEnd()) throw malformed("data after the end record");
            readTail(raw, header, structure.doFinal());
            return manifest.withFiles(checked);
        } catch (EOFException e) {
            // The chunks all authenticated and the last one is flagged: the writer itself stopped short.
            throw malformed("the content ends early");
        }
    }

    private static Manifest readManifest(DataInputStream plain) throws IOException {
        int length = plain.readInt();
        if (length < 0 || length > BundleFormat.MAX_MANIFEST_BYTES) {
            throw malformed("a manifest of " + length + " bytes");
        }
        byte[] json = plain.readNBytes(length);
        if (json.length < length) throw new EOFException();
        Manifest m;
        try {
            m = ManifestJson.read(json);
        } catch (IOException e) {
            throw malformed("the manifest is not valid: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (m.formatVersion() != Manifest.FORMAT_VERSION) {
            throw new BundleException(Reason.UNSUPPORTED_VERSION, "manifest format " + m.formatVersion());
        }
        Set<String> names = new HashSet<>();
        for (FileEntry f : m.files()) {
            String unsafe = f.name() == null ? "a file without a name" : BundleFormat.unsafeName(f.name());
            if (unsafe != null) throw malformed("the manifest lists " + unsafe);
            if (!names.add(f.name())) throw malformed("the manifest lists " + f.name() + " twice");
            if (f.size() < 0) throw malformed("the manifest lists " + f.name() + " with size " + f.size());
        }
        return m;
    }

    /** After the last chunk: 'S', the signature over the header and the structure MAC, then the end of the stream. */
    private static void readTail(DataInputStream raw, Header header, byte[] structureMac) throws IOException {
        int tag = raw.read();
        if (tag < 0) throw new BundleException(Reason.TRUNCATED, "the stream ends before the signature");
        if (tag != BundleFormat.SIGNATURE) {
            throw new BundleException(Reason.TAMPERED, "byte " + tag + " after the last chunk, where the signature "
                    + "should start");
        }
        byte[] signature = raw.readNBytes(BundleFormat.SIGNATURE_BYTES);
        if (signature.length < BundleFormat.SIGNATURE_BYTES) {
            throw new BundleException(Reason.TRUNCATED, "the stream ends inside the signature");
        }
        if (!BundleFormat.verifyTail(header, structureMac, signature)) {
            throw new BundleException(Reason.TAMPERED, "the signature at the tail does not verify");
        }
        long extra = raw.transferTo(OutputStream.nullOutputStream());
        if (extra > 0) throw new BundleException(Reason.TAMPERED, extra + " bytes after the signature");
    }

    private static BundleException malformed(String detail) {
        return new BundleException(Reason.MALFORMED, detail);
    }
}
