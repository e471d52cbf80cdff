package dev.baton.ckpt.bundle;

import dev.baton.ckpt.bundle.BundleException.Reason;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * A bundle being extracted: a temporary directory next to the target ({@code .NAME.partial-RANDOM}, 0700),
 * renamed onto the target by {@link #commit}, and removed by {@link #close} unless committed.
 */
final class Extraction implements BundleReader.FileSink, AutoCloseable {
    /** Files are private while written and get their mode once complete. */
    private static final FileAttribute<Set<PosixFilePermission>> PRIVATE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private final Path target;
    private final Path temp;
    private boolean committed;

    private Extraction(Path target, Path temp) {
        this.target = target;
        this.temp = temp;
    }

    static Extraction begin(Path targetDir) throws IOException {
        Path target = targetDir.toAbsolutePath().normalize();
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new BundleException(Reason.TARGET_EXISTS, target.toString());
        }
        Path parent = target.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new BundleException(Reason.IO, "the parent directory of " + target + " does not exist");
        }
        return new Extraction(target, Files.createTempDirectory(parent, "." + target.getFileName() + ".partial-"));
    }

    @Override
    public OutputStream create(String name, int mode) throws IOException {
        Path file = temp.resolve(name);
        // Names were checked already; a file outside the temporary directory is refused all the same.
        if (!file.getParent().equals(temp)) throw new BundleException(Reason.MALFORMED, "unsafe name " + name);
        OutputStream out = Channels.newOutputStream(Files.newByteChannel(file,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), PRIVATE));
        return new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                super.close();
                Files.setPosixFilePermissions(file, BundleFormat.permissions(mode));
            }
        };
    }

    /** Renames the verified files onto the target. */
    void commit() throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            throw new BundleException(Reason.TARGET_EXISTS, target + " appeared while the bundle was being opened", e);
        }
        committed = true;
    }

    @Override
    public void close() throws IOException {
        if (!committed) deleteTree(temp);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
