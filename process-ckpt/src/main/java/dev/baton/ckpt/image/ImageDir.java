package dev.baton.ckpt.image;

import dev.baton.ckpt.image.CriuFields.Pstree;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A CRIU image directory (CRIU 4.x layout), read for what a migration needs: the inet sockets (files.img), their
 * TCP state (tcp-stream-*.img) and the process tree (pstree.img); and edited in place for it:
 * {@link #rewrite} (addresses) and {@link #reconcileSendQueue} (send queue). Each edit replaces one file
 * atomically (temporary file, rename) or leaves it untouched when it fails. files.img is read once, by
 * {@link #open}, and each tcp-stream image once, when first asked for (a migration reads every connection's to
 * report it, then again to trim it: a thousand files each time); edit them through this object only. Not
 * thread-safe.
 */
public final class ImageDir {
    static final String FILES = "files.img";
    static final String PSTREE = "pstree.img";
    /** The CRIU 1.x-3.x layout kept inet sockets in their own image; CRIU 4.x puts them in files.img. */
    static final String LEGACY_INETSK = "inetsk.img";

    private final Path dir;
    /** files.img as read by {@link #open} or last written by {@link #rewrite}. */
    private ImageFile files;
    private List<InetSocketImage> sockets;
    /** The tcp-stream images read or written so far, by file name. */
    private final Map<String, ImageFile> streams = new HashMap<>();

    private ImageDir(Path dir, ImageFile files) throws ImageFormatException {
        this.dir = dir;
        this.files = files;
        this.sockets = sockets(files);
    }

    /**
     * Opens the image directory {@code dir} and reads its inet sockets.
     *
     * @throws ImageFormatException when files.img is missing, malformed, or the directory uses the pre-4.x layout
     */
    public static ImageDir open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new NotDirectoryException(dir.toString());
        if (Files.exists(dir.resolve(LEGACY_INETSK))) {
            throw new ImageFormatException(LEGACY_INETSK, 0, "inet sockets in their own image (CRIU before 4.0);"
                    + " only the CRIU 4.x layout (INETSK entries in files.img) is supported");
        }
        if (!Files.exists(dir.resolve(FILES))) {
            throw new ImageFormatException(FILES, 0, "missing in " + dir + " (not a CRIU 4.x image directory?)");
        }
        ImageFile files = ImageFile.read(dir.resolve(FILES));
        if (files.kind() != ImageKind.FILES) {
            throw new ImageFormatException(FILES, 0, "expected a FILES image, found " + files.kind());
        }
        return new ImageDir(dir, files);
    }

    public Path path() {
        return dir;
    }

    /** The inet sockets of the dump (TCP and UDP, listening, connected or neither), in files.img order. */
    public List<InetSocketImage> inetSockets() {
        return sockets;
    }

    /**
     * The TCP state of {@code socket}: present for connected TCP sockets, which CRIU dumps with their queues
     * (established connections need {@code --tcp-established}).
     */
    public Optional<TcpStreamImage> tcpStream(InetSocketImage socket) throws IOException {
        Optional<ImageFile> image = streamImage(socket);
        if (image.isEmpty()) return Optional.empty();
        return Optional.of(decoding(dir.resolve(socket.tcpStreamFileName()), () -> TcpStreams.decode(image.get())));
    }

    /** The PIDs of the dumped process tree (as seen in its PID namespace), root first. */
    public List<Long> pids() throws IOException {
        Path file = dir.resolve(PSTREE);
        ImageFile image = ImageFile.read(file);
        if (image.kind() != ImageKind.PSTREE) {
            throw new ImageFormatException(PSTREE, 0, "expected a PSTREE image, found " + image.kind());
        }
        return decoding(file, () -> {
            List<Long> pids = new ArrayList<>();
            for (int i = 0; i < image.entryCount(); i++) {
                try {
                    pids.add(image.entries().get(i).message().uint32(Pstree.PID, "pid"));
                } catch (MalformedMessageException e) {
                    throw e.inEntry(i, image.messageOffset(i));
                }
            }
            return List.copyOf(pids);
        });
    }

    /**
     * Rewrites the addresses of the inet sockets in files.img ({@link AddressRewrite}) and replaces the file
     * atomically; nothing is written when no socket matches. {@link #inetSockets()} shows the result afterwards.
     */
    public RewriteReport rewrite(AddressRewrite rewrite) throws IOException {
        Path file = dir.resolve(FILES);
        AddressRewrite.Result result = decoding(file, () -> rewrite.apply(files));
        if (!result.report().changed().isEmpty()) {
            result.files().write(file);
            files = result.files();
            sockets = sockets(files);
        }
        return result.report();
    }

    /**
     * Trims the send queue of {@code socket}'s tcp-stream image to what the peer has not received yet, given the
     * peer's {@code rcv_nxt}, and marks what is left unsent, so the restored socket sends it at once instead of
     * waiting for its retransmission timer (1 s or more without RTT history). CRIU restores unsent data with
     * repair mode off, as new data ({@code soccr}/{@code sk-tcp.c}). The peer's {@code rcv_nxt} must come from
     * a snapshot taken while the connection was held, after the dump. An image that already says so (an idle
     * connection: nothing to drop, nothing marked sent) is left as it is, unwritten.
     *
     * @throws IllegalArgumentException when {@code peerRcvNxt} is outside the dumped send queue
     * @throws ImageFormatException     when the socket has no tcp-stream image or it is malformed
     */
    public SendQueueTrim reconcileSendQueue(InetSocketImage socket, long peerRcvNxt) throws IOException {
        Optional<ImageFile> read = socket.isTcp() ? streamImage(socket) : Optional.empty();
        if (read.isEmpty()) {
            throw new ImageFormatException(socket.tcpStreamFileName(), 0, "no TCP stream image for " + socket
                    + " (only connected TCP sockets have one)");
        }
        ImageFile image = read.get();
        Path file = dir.resolve(socket.tcpStreamFileName());
        TcpStreams.Reconciled result = decoding(file, () -> TcpStreams.reconcile(image, peerRcvNxt, socket.state()));
        if (result.image() != image) {
            result.image().write(file);
            streams.put(socket.tcpStreamFileName(), result.image());
        }
        return result.trim();
    }

    /** {@code socket}'s tcp-stream image, read from its file the first time; empty when it has none. */
    private Optional<ImageFile> streamImage(InetSocketImage socket) throws IOException {
        String name = socket.tcpStreamFileName();
        ImageFile image = streams.get(name);
        if (image == null) {
            try {
                image = ImageFile.read(dir.resolve(name));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
            streams.put(name, image);
        }
        return Optional.of(image);
    }

    private static List<InetSocketImage> sockets(ImageFile files) throws ImageFormatException {
        return decoding(Path.of(FILES), () -> InetSockets.inFiles(files).stream().map(InetSockets.InetEntry::socket)
                .toList());
    }

    private interface Decoding<T> {
        T run();
    }

    /**
     * Runs schema-level decoding of an image already framed, turning its failures (located in the file by the
     * step) into ImageFormatExceptions.
     */
    private static <T> T decoding(Path file, Decoding<T> step) throws ImageFormatException {
        try {
            return step.run();
        } catch (MalformedMessageException e) {
            throw new ImageFormatException(file.getFileName().toString(), e.offset(), e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "images " + dir + " (" + sockets.size() + " inet sockets)";
    }
}
