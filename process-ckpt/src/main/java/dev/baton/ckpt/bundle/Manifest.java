package dev.baton.ckpt.bundle;

import java.time.Instant;
import java.util.List;

/**
 * What a bundle holds, in JSON at its start: where and how the image was made, the workload, its sockets, and
 * the files of the image directory.
 *
 * <p>A caller passes a partial manifest to {@link BundleWriter#seal}, which sets {@link #formatVersion}, the
 * {@link #created} time and the {@link #sourceHost} when they are null, and the {@link #files}. Sealing reads
 * the image once, so the manifest at the start of the bundle lists each file's name and size; its SHA-256 follows
 * the file's bytes. {@link BundleReader} checks both and returns the manifest with every hash filled in.
 *
 * @param formatVersion {@link #FORMAT_VERSION}
 * @param criuVersion   the CRIU that dumped the image, e.g. "4.2.1"
 * @param kernelRelease {@code uname -r} of the source host
 * @param sourceHost    the sealing host's cluster name
 * @param workload      the dumped process tree, or null
 * @param sockets       its TCP connections at dump time
 * @param files         the image directory's regular files, in name order
 */
public record Manifest(int formatVersion, Instant created, String criuVersion, String kernelRelease,
                       String sourceHost, Workload workload, List<Socket> sockets, List<FileEntry> files) {
    public static final int FORMAT_VERSION = 1;

    /** The dumped process tree: its name in Baton, the command line and the PID of its root. */
    public record Workload(String name, List<String> commandLine, long rootPid) {
        public Workload {
            commandLine = commandLine == null ? List.of() : List.copyOf(commandLine);
        }
    }

    /** One TCP socket: the 4-tuple as two {@code address:port} strings ({@code [v6]:port}) and its TCP state. */
    public record Socket(String local, String remote, String state) {}

    /** One file of the image: its name (no directories), size and SHA-256 in lowercase hex (null until read). */
    public record FileEntry(String name, long size, String sha256) {}

    public Manifest {
        sockets = sockets == null ? List.of() : List.copyOf(sockets);
        files = files == null ? List.of() : List.copyOf(files);
    }

    /** A partial manifest for {@link BundleWriter#seal}: the rest is filled in when sealing. */
    public static Manifest of(String criuVersion, String kernelRelease, Workload workload, List<Socket> sockets) {
        return new Manifest(FORMAT_VERSION, null, criuVersion, kernelRelease, null, workload, sockets, List.of());
    }

    /** The sum of the files' sizes. */
    public long totalSize() {
        return files.stream().mapToLong(FileEntry::size).sum();
    }

    Manifest completed(Instant now, String host, List<FileEntry> entries) {
        return new Manifest(FORMAT_VERSION, created != null ? created : now, criuVersion, kernelRelease,
                sourceHost != null ? sourceHost : host, workload, sockets, entries);
    }

    Manifest withFiles(List<FileEntry> entries) {
        return new Manifest(formatVersion, created, criuVersion, kernelRelease, sourceHost, workload, sockets, entries);
    }
}
