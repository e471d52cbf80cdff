package dev.baton.ckpt.bundle;

import dev.baton.ckpt.bundle.BundleException.Reason;
import dev.baton.ckpt.bundle.BundleFormat.Header;
import dev.baton.ckpt.bundle.Manifest.FileEntry;
import dev.baton.ckpt.keys.ClusterKeys;

import javax.crypto.Mac;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Seals an image directory into a bundle: encrypted with the cluster's bundle key, signed by this host (format in
 * {@link BundleFormat}). Streams: the image is read once, in chunks of 1 MiB, whatever its size.
 */
public final class BundleWriter {
    private BundleWriter() {}

    /**
     * Writes the bundle of {@code imageDir} to {@code out} (flushed, not closed).
     *
     * @param imageDir regular files only (CRIU's images, its log); no subdirectories, links or sockets
     * @param partial  the manifest so far ({@link Manifest#of}); the files and what is null are filled in
     * @param progress told the bytes of file content sealed, against their total
     * @return the number of bytes written to {@code out}: the bundle's size
     * @throws BundleException {@code UNSUPPORTED_IMAGE} for what cannot go into a bundle (or a file that changes
     *                         size while being sealed), {@code IO} when reading the image or writing {@code out}
     *                         fails; {@code out} then holds an incomplete bundle that no reader accepts
     */
    public static long seal(Path imageDir, Manifest partial, ClusterKeys keys, OutputStream out, Progress progress) {
        Objects.requireNonNull(partial, "partial manifest");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(progress, "progress");
        String step = "sealing " + imageDir;
        try (ContentHasher hasher = new ContentHasher()) {
            List<ImageFile> files = list(imageDir);
            List<FileEntry> entries = files.stream().map(f -> new FileEntry(f.name(), f.size(), null)).toList();
            Manifest manifest = partial.completed(Instant.now(), keys.hostName(), entries);
            long total = manifest.totalSize();
            WarmUp.ifWorthIt(total);
            progress.update(0, total);

            Header header = BundleFormat.newHeader(keys);
            out.write(header.encoded());
            Mac structure = BundleFormat.structureMac(keys, header);
            ChunkSealer sealer = new ChunkSealer(out, new ChunkCipher(keys, header), structure, hasher);
            DataOutputStream plain = new DataOutputStream(sealer);
            BundleFormat.writeManifest(plain, manifest);
            long[] done = {0};
            for (ImageFile f : files) {
                BundleFormat.writeFileHeader(plain, f.name(), f.mode(), f.size());
                MessageDigest digest = BundleFormat.sha256();
                try (InputStream in = Files.newInputStream(f.path(), LinkOption.NOFOLLOW_LINKS)) {
                    sealer.writeFrom(in, f.size(), digest, n -> progress.update(done[0] += n, total));
                    if (in.read() >= 0) throw grew(f);
                } catch (EOFException e) {
                    throw new BundleException(Reason.UNSUPPORTED_IMAGE, f.name() + " shrank while being sealed ("
                            + e.getMessage() + " read)", e);
                }
                plain.write(hasher.digest(digest));
            }
            plain.writeByte(BundleFormat.END);
            sealer.finish();

            byte[] signature = BundleFormat.tailSignature(keys, header, structure.doFinal());
            out.write(BundleFormat.SIGNATURE);
            out.write(signature);
            out.flush();
            return header.encoded().length + sealer.written() + 1 + signature.length;
        } catch (BundleException e) {
            throw e.inStep(step);
        } catch (IOException e) {
            throw new BundleException(Reason.IO, e.toString(), e).inStep(step);
        }
    }

    /**
     * Compiles the cipher and hash paths ahead of time (~0.1 s, once per JVM), for sealing and opening alike.
     * {@link #seal} does it itself for images of 16 MiB or more; call it earlier, e.g. when an agent starts, to
     * keep it out of a migration's critical path. Without it a fresh JVM seals the first few hundred MiB at
     * interpreter speed (~70 MB/s).
     */
    public static void warmUp() {
        WarmUp.run();
    }

    /** One regular file of the image directory, as listed before sealing. */
    private record ImageFile(Path path, String name, long size, int mode) {}

    private static List<ImageFile> list(Path dir) throws IOException {
        List<Path> paths;
        try (Stream<Path> s = Files.list(dir)) {
            paths = s.sorted().toList();
        } catch (NoSuchFileException e) {
            throw new BundleException(Reason.UNSUPPORTED_IMAGE, "no such directory", e);
        } catch (NotDirectoryException e) {
            throw new BundleException(Reason.UNSUPPORTED_IMAGE, "not a directory", e);
        }
        List<ImageFile> files = new ArrayList<>();
        for (Path p : paths) {
            String name = p.getFileName().toString();
            String unsafe = BundleFormat.unsafeName(name);
            if (unsafe != null) throw new BundleException(Reason.UNSUPPORTED_IMAGE, unsafe);
            // One stat per file: type, size and permissions together.
            BasicFileAttributes a;
            int mode;
            try {
                PosixFileAttributes posix = Files.readAttributes(p, PosixFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS);
                a = posix;
                mode = BundleFormat.mode(posix.permissions());
            } catch (UnsupportedOperationException e) {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                mode = 0600;
            }
            if (!a.isRegularFile()) {
                throw new BundleException(Reason.UNSUPPORTED_IMAGE, name + " is " + (a.isDirectory() ? "a directory"
                        : a.isSymbolicLink() ? "a symbolic link" : "not a regular file") + "; a bundle holds regular "
                        + "files only");
            }
            files.add(new ImageFile(p, name, a.size(), mode));
        }
        return files;
    }

    private static BundleException grew(ImageFile f) {
        return new BundleException(Reason.UNSUPPORTED_IMAGE, f.name() + " grew while being sealed (listed with "
                + f.size() + " bytes)");
    }
}
