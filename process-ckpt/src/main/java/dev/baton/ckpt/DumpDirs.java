package dev.baton.ckpt;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.baton.ckpt.workload.Workload;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The images directories a host keeps under its images root: one per dump ({@code NAME-TIMESTAMP}) and one per
 * incoming bundle, each holding Baton's record of the workload beside CRIU's files, so that any of them can be
 * restored by itself ({@code baton ckpt restore --in DIR}). CRIU's last logs are copied next to the workload's
 * output, where users look.
 */
final class DumpDirs {
    private static final Logger log = LoggerFactory.getLogger(DumpDirs.class);
    /** Baton's own record of the workload, carried inside the images (so sealed and signed with them). */
    static final String WORKLOAD_FILE = "baton-workload.json";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");
    private static final AtomicLong INCOMING = new AtomicLong();
    /**
     * {@link #incoming()}'s names, CRIU's output beside them and the bundle reader's partial extraction; group 1 is
     * the PID of the unpacking process.
     */
    private static final Pattern ABANDONED = Pattern.compile(
            "\\.?incoming-\\d{8}-\\d{6}-\\d{3}-(\\d+)-\\d+(\\.criu\\.out|\\.partial-.*)?");

    private final Path root;
    private final Path workloadsDir;
    private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule());

    DumpDirs(Path root, Path workloadsDir) {
        this.root = root;
        this.workloadsDir = workloadsDir;
    }

    Path root() {
        return root;
    }

    /** A new, empty directory for a dump of {@code name}. */
    Path create(String name) {
        return createUnder(name + "-" + LocalDateTime.now().format(STAMP));
    }

    /** A name for a bundle to be unpacked into (not created: the bundle reader renames into it). */
    Path incoming() {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new CheckpointException("cannot create the images root " + root + ": " + e.getMessage(), e);
        }
        return root.resolve("incoming-" + LocalDateTime.now().format(STAMP) + "-" + ProcessHandle.current().pid()
                + "-" + INCOMING.incrementAndGet());
    }

    /**
     * Deletes what bundles left half-unpacked here when the process unpacking them died (an agent killed during a
     * restore): {@code incoming-*} directories and their CRIU output, whose owner PID (in the name) is gone. Those of
     * a live process, this one included, are left alone.
     */
    void sweepAbandoned() {
        if (!Files.isDirectory(root)) return;
        List<Path> names;
        try (Stream<Path> s = Files.list(root)) {
            names = s.toList();
        } catch (IOException e) {
            log.warn("could not list {} to sweep abandoned bundles: {}", root, e.getMessage());
            return;
        }
        for (Path p : names) {
            Matcher m = ABANDONED.matcher(p.getFileName().toString());
            if (!m.matches()) continue;
            long pid = Long.parseLong(m.group(1));
            if (ProcessHandle.of(pid).isPresent()) continue;
            log.info("deleting {}: a bundle being unpacked by process {}, which is gone", p, pid);
            delete(p);
        }
    }

    private Path createUnder(String leaf) {
        Path dir = root.resolve(leaf);
        try {
            Files.createDirectories(root);
            return Files.createDirectory(dir);
        } catch (IOException e) {
            throw new CheckpointException("cannot create the images directory " + dir + ": " + e.getMessage(), e);
        }
    }

    void writeWorkload(Path images, Workload w) {
        try {
            json.writeValue(images.resolve(WORKLOAD_FILE).toFile(), w);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + WORKLOAD_FILE + " into " + images, e);
        }
    }

    Workload readWorkload(Path images) {
        Path file = images.resolve(WORKLOAD_FILE);
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(images + " is not a Baton dump (no " + WORKLOAD_FILE + ")");
        }
        try {
            return json.readValue(file.toFile(), Workload.class);
        } catch (IOException e) {
            throw new CheckpointException("unreadable " + file + ": " + e.getMessage(), e);
        }
    }

    /** Copies CRIU's log of the last dump or restore ({@code logName}) to the workload's directory. */
    void keepLog(Path images, Workload w, String logName) {
        Path logFile = images.resolve(logName);
        if (!Files.exists(logFile)) return;
        try {
            Path target = workloadsDir.resolve(w.name()).resolve("last-" + logName);
            Files.createDirectories(target.getParent());
            Files.copy(logFile, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            log.warn("could not keep {}: {}", logFile, e.getMessage());
        }
    }

    static void delete(Path dir) {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("could not delete {}: {}", dir, e.getMessage());
        }
    }
}
