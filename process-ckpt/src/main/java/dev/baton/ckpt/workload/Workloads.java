package dev.baton.ckpt.workload;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.baton.ckpt.BatonHome;
import dev.baton.netns.NetNamespace;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.SocketCaptureException;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.TcpState;
import dev.baton.socket.internal.Libc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Starts migratable workloads and keeps their records, one JSON file per workload in a state directory
 * ({@code $BATON_HOME/workloads} by default), with the workload's stdout and stderr beside it.
 *
 * <p>A workload's root is PID 1 of a new PID namespace with a mount namespace of its own (fresh /proc, private
 * propagation), a session of its own inside that namespace, stdin from /dev/null and stdio opened <em>inside</em>
 * the new mount namespace (CRIU refuses files opened through another one), no other inherited descriptors. That
 * is what CRIU needs to dump the tree and restore it on another host without colliding on PIDs.
 */
public final class Workloads {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final String RECORD_SUFFIX = ".json";
    /**
     * Runs as PID 1 of the new namespaces: detaches the namespace files (nsfs mounts such as /run/netns/NAME) the
     * copied mount table holds — a namespace deleted later would leave a mount CRIU cannot recreate on restore —
     * opens stdio inside the new mount namespace, starts a session there, then becomes the workload.
     */
    private static final String PRELUDE = "for m in $(awk '{for (i = 7; i <= NF; i++) if ($i == \"-\") {"
            + " if ($(i + 1) == \"nsfs\") print $5; break } }' /proc/self/mountinfo); do umount -l \"$m\"; done;"
            + " exec 0</dev/null 1>>\"$1\" 2>>\"$2\"; shift 2; exec setsid \"$@\"";
    private static final long START_TIMEOUT_MS = 5_000;

    private final Path dir;
    private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    public Workloads(Path dir) {
        this.dir = dir;
    }

    /** The records under {@code $BATON_HOME/workloads}. */
    public static Workloads standard() {
        return new Workloads(BatonHome.resolve("workloads"));
    }

    public Path dir() {
        return dir;
    }

    /**
     * Starts {@code command} as a new workload and records it. Returns once its root process exists.
     *
     * @param name  unique name; {@code null} picks one from the command
     * @param netns named network namespace to run in ({@code /run/netns/NAME}), or {@code null} for ours
     * @throws WorkloadException the name is taken or invalid, the namespace does not exist, or it did not start
     */
    public Workload start(String name, List<String> command, String netns) {
        if (command.isEmpty()) throw new WorkloadException("no command to run");
        String chosen = name != null ? name : freeName(Path.of(command.getFirst()).getFileName().toString());
        checkName(chosen);
        if (find(chosen).isPresent()) {
            throw new WorkloadException("a workload named '" + chosen + "' is already recorded in " + dir
                    + " (remove it with 'baton ps --forget " + chosen + "' once it has exited)");
        }
        if (netns != null && !NetNamespace.named(netns).exists()) {
            throw new WorkloadException("no network namespace named '" + netns + "' (ip netns list)");
        }
        Path logs = dir.resolve(chosen);
        Path stdout = logs.resolve("stdout.log");
        Path stderr = logs.resolve("stderr.log");
        try {
            Files.createDirectories(logs);
        } catch (IOException e) {
            throw new WorkloadException("cannot create " + logs + ": " + e.getMessage(), e);
        }

        List<String> unshare = new ArrayList<>(List.of("unshare", "--pid", "--mount", "--fork", "--mount-proc",
                "--propagation", "private", "--", "sh", "-c", PRELUDE, "baton-run", stdout.toString(), stderr.toString()));
        unshare.addAll(command);
        List<String> argv = new ArrayList<>(List.of("setsid"));
        argv.addAll(netns == null ? unshare : NetNamespace.named(netns).command(unshare.toArray(String[]::new)));
        Process launcher;
        try {
            launcher = new ProcessBuilder(argv)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
                    .start();
        } catch (IOException e) {
            throw new WorkloadException("cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        long root = awaitRoot(launcher, stderr);
        awaitExec(root, command);
        OptionalLong ticks = ProcTree.liveStartTicks(root);
        if (ticks.isEmpty()) {
            throw new WorkloadException(chosen + " exited at once: " + tail(stderr) + " (" + stderr + ")");
        }
        Workload w = new Workload(chosen, root, ticks.getAsLong(), netns, command, stdout, stderr, Instant.now());
        record(w);
        return w;
    }

    /** The root of the new PID namespace is the launcher's only child (unshare --fork). */
    private static long awaitRoot(Process launcher, Path stderr) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (System.nanoTime() < deadline) {
            List<Long> children = ProcTree.children(launcher.pid());
            if (!children.isEmpty()) return children.getFirst();
            if (!launcher.isAlive()) {
                throw new WorkloadException("the workload did not start (exit " + launcher.exitValue() + "): "
                        + tail(stderr));
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WorkloadException("interrupted while starting the workload");
            }
        }
        launcher.destroyForcibly();
        throw new WorkloadException("the workload's root process did not appear within " + START_TIMEOUT_MS + " ms");
    }

    /**
     * Waits until the root has run the prelude and become the command (its argv is the command's), so that a
     * record never points at a half-set-up process. A command that exits at once ends the wait too.
     */
    private static void awaitExec(long root, List<String> command) {
        String expected = String.join("\0", command) + "\0";
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        Path cmdline = Path.of("/proc", Long.toString(root), "cmdline");
        while (System.nanoTime() < deadline) {
            try {
                String now = Files.readString(cmdline);
                if (now.equals(expected)) return;
                // Empty: a zombie (it failed to start), or a process in the middle of an exec (the new image's
                // arguments are not set up yet).
                if (now.isEmpty() && ProcTree.liveStartTicks(root).isEmpty()) return;
                if (!now.isEmpty() && !inPrelude(now)) return; // a program that rewrote its own argv
                Thread.sleep(1);
            } catch (IOException gone) {
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * True while the root is still one of the launcher's steps: forked by unshare but not yet exec'd (it still
     * carries unshare's argv), or running the shell prelude.
     */
    private static boolean inPrelude(String cmdline) {
        return cmdline.contains("\0baton-run\0") || cmdline.startsWith("unshare\0")
                || cmdline.startsWith("setsid\0") || cmdline.startsWith("nsenter\0");
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return lines.isEmpty() ? "(no output)" : String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "(no output)";
        }
    }

    /** Writes (or replaces) the record of {@code w} atomically. */
    public void record(Workload w) {
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + w.name(), ".tmp");
            json.writeValue(tmp.toFile(), w);
            Files.move(tmp, recordPath(w.name()), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new WorkloadException("cannot record workload " + w.name() + " in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Records that {@code w} now runs as {@code pid} in {@code netns} (after a restore) and returns the new record.
     *
     * @throws WorkloadException when {@code pid} is gone already
     */
    public Workload recordMoved(Workload w, long pid, String netns) {
        OptionalLong ticks = ProcTree.liveStartTicks(pid);
        if (ticks.isEmpty()) throw new WorkloadException(w.name() + " ended right after its restore (PID " + pid + ")");
        Workload moved = w.movedTo(pid, ticks.getAsLong(), netns);
        record(moved);
        return moved;
    }

    /** SIGCONT to every process of a workload restored stopped (or paused by a caller). */
    public void resume(String name) {
        Workload w = get(name);
        for (long pid : ProcTree.tree(w.rootPid())) {
            signalContinue(pid);
        }
    }

    private static void signalContinue(long pid) {
        try {
            Libc.kill((int) pid, Libc.SIGCONT);
        } catch (RuntimeException exited) {
            // ended meanwhile
        }
    }

    public Optional<Workload> find(String name) {
        checkName(name);
        try {
            return Optional.of(json.readValue(recordPath(name).toFile(), Workload.class));
        } catch (IOException e) {
            if (!Files.exists(recordPath(name))) return Optional.empty();
            throw new WorkloadException("unreadable record " + recordPath(name) + ": " + e.getMessage(), e);
        }
    }

    /** The workload named {@code name}, or a clear error naming the ones that exist. */
    public Workload get(String name) {
        return find(name).orElseThrow(() -> {
            List<String> known = list().stream().map(Workload::name).toList();
            return new WorkloadException("no workload named '" + name + "' in " + dir
                    + (known.isEmpty() ? " (none recorded)" : " (known: " + String.join(", ", known) + ")"));
        });
    }

    /** The recorded workload whose root is {@code pid}, if any. */
    public Optional<Workload> findByPid(long pid) {
        return list().stream().filter(w -> w.rootPid() == pid && isRunning(w)).findFirst();
    }

    public List<Workload> list() {
        List<Workload> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + RECORD_SUFFIX)) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                find(n.substring(0, n.length() - RECORD_SUFFIX.length())).ifPresent(out::add);
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + dir, e);
        }
        out.sort(Comparator.comparing(Workload::started).thenComparing(Workload::name));
        return out;
    }

    /** Deletes the record (not the logs) of a workload that is not running. */
    public void forget(String name) {
        Workload w = get(name);
        if (isRunning(w)) throw new WorkloadException(name + " is still running as PID " + w.rootPid());
        try {
            Files.deleteIfExists(recordPath(name));
        } catch (IOException e) {
            throw new WorkloadException("cannot delete " + recordPath(name) + ": " + e.getMessage(), e);
        }
    }

    /** Ends a running workload: SIGKILL to its root, which ends its whole PID namespace. */
    public void kill(String name) {
        Workload w = get(name);
        if (!isRunning(w)) return;
        ProcessHandle.of(w.rootPid()).ifPresent(ProcessHandle::destroyForcibly);
    }

    public static boolean isRunning(Workload w) {
        return ProcTree.isAlive(w.rootPid(), w.startTicks());
    }

    /** Live view: running or not, processes, listening ports, established connections. */
    public WorkloadStatus status(Workload w) {
        if (!isRunning(w)) return new WorkloadStatus(w, false, 0, List.of(), 0);
        List<Long> tree = ProcTree.tree(w.rootPid());
        List<InetSocketAddress> listening = new ArrayList<>();
        java.util.Set<Long> established = new java.util.HashSet<>();
        for (long pid : tree) {
            try (ProcessSockets sockets = ProcessSockets.open((int) pid)) {
                for (SocketEntry e : sockets.list()) {
                    if (e.state() == TcpState.LISTEN && !listening.contains(e.local())) listening.add(e.local());
                    else if (e.state() == TcpState.ESTABLISHED) established.add(e.inode());
                }
            } catch (SocketCaptureException | UncheckedIOException exitedMeanwhile) {
                // a child that exited while we looked
            }
        }
        return new WorkloadStatus(w, true, tree.size(), listening, established.size());
    }

    /**
     * Connections the kernel completed on the workload's listening sockets that it has not accepted yet (the
     * longest such accept queue); 0 when none, or when it is not running. Reads its namespace's tables once, and
     * its processes' sockets only when some listener there has a queue.
     */
    public int pendingAccepts(Workload w) {
        if (!isRunning(w)) return 0;
        Map<Long, Integer> queued = ProcessSockets.acceptQueues((int) w.rootPid());
        if (queued.isEmpty()) return 0;
        int pending = 0;
        for (long pid : ProcTree.tree(w.rootPid())) {
            try (ProcessSockets sockets = ProcessSockets.open((int) pid)) {
                for (long inode : sockets.socketInodes()) pending = Math.max(pending, queued.getOrDefault(inode, 0));
            } catch (SocketCaptureException | UncheckedIOException exitedMeanwhile) {
                // a child that exited while we looked
            }
        }
        return pending;
    }

    static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new WorkloadException("bad workload name '" + name + "': use 1-64 letters, digits, '.', '_' or '-'"
                    + ", starting with a letter or digit");
        }
    }

    private String freeName(String base) {
        String clean = base.replaceAll("[^A-Za-z0-9_.-]", "-");
        if (clean.isEmpty() || !Character.isLetterOrDigit(clean.charAt(0))) clean = "w" + clean;
        if (clean.length() > 56) clean = clean.substring(0, 56);
        for (int i = 1; ; i++) {
            String candidate = clean + "-" + i;
            if (find(candidate).isEmpty()) return candidate;
        }
    }

    private Path recordPath(String name) {
        return dir.resolve(name + RECORD_SUFFIX);
    }
}
