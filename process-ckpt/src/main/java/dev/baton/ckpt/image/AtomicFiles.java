package dev.baton.ckpt.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** Replaces a file so that a crash leaves either the old or the new contents, never a mix. */
final class AtomicFiles {
    private AtomicFiles() {}

    /**
     * Writes {@code bytes} to a temporary file next to {@code target}, flushes it to disk, renames it over
     * {@code target} (keeping the old file's permissions) and flushes the directory.
     */
    static void replace(Path target, byte[] bytes) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path temp = dir.resolve("." + target.getFileName() + ".baton-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) out.write(buf);
                out.force(true);
            }
            if (Files.exists(target)) {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(target);
                Files.setPosixFilePermissions(temp, permissions);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        // The rename is durable only once the directory entry is.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
