package dev.baton.bench;

import dev.baton.ckpt.Checkpointer;
import dev.baton.ckpt.criu.CriuLaunch;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.netns.NetnsLab;
import dev.baton.netns.NetnsLab.Host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What {@link CheckpointBench} runs in: a lab of three hosts (peer, a, b) in 198.18.0.0/15, a server on the peer
 * host that every workload holds one established TCP connection to, workloads started on host a with Baton's
 * {@link Workloads} (own PID and mount namespace), cluster keys for a and b with a {@link Checkpointer} on each
 * side, and a work directory for images, bundles and copies. {@link #close()} ends every workload still running,
 * the peer, the lab's namespaces, and deletes the work directory, also after a failure or Ctrl-C.
 */
final class CheckpointLab implements AutoCloseable {
    static final int PEER_PORT = 7000;
    static final String CRIU = CriuLaunch.defaults().criu().toString();
    /** What the workloads on host a need from CRIU (see Workloads), on the command line. */
    static final List<String> MOUNT_OPTIONS = List.of("--ext-mount-map", "auto", "--enable-external-sharing",
            "--enable-external-masters");
    private static final long READY_TIMEOUT_MS = 120_000;
    private static final Pattern STAT_LINE = Pattern.compile("^([A-Za-z ]+): (\\d+)");

    /** Holds an established connection to the peer, allocates and writes {@code argv[2]} MiB, then sleeps. */
    private static final String ALLOCATE = """
            import os, socket, sys, time
            peer = socket.create_connection((sys.argv[1], %d))
            memory = bytearray(os.urandom(1 << 20)) * int(sys.argv[2])
            print("ready", flush=True)
            while True:
                time.sleep(3600)
            """.formatted(PEER_PORT);
    /** The smallest workload there is: {@code sleep}, holding an established connection (bash opens it). */
    private static final String SLEEP = "exec 3<>\"/dev/tcp/$0/" + PEER_PORT + "\" && echo ready && exec sleep infinity";
    private final Path work;
    private final NetnsLab lab;
    private final Workloads workloads;
    private final ClusterKeys keysA;
    private final ClusterKeys keysB;
    private final Checkpointer source;
    private final Checkpointer target;
    private final ServerSocketChannel peer;
    private final List<SocketChannel> accepted = new ArrayList<>();
    private final Thread acceptor;
    private final Thread onExit = new Thread(this::close, "checkpoint-lab-cleanup");
    private boolean closed;

    /** A workload that is ready: its record and its resident memory once it had allocated what it was told. */
    record Started(Workload workload, double rssMiB) {
        long pid() {
            return workload.rootPid();
        }
    }

    private CheckpointLab(Path work) throws Exception {
        this.work = work;
        Runtime.getRuntime().addShutdownHook(onExit);
        NetnsLab created = null;
        ServerSocketChannel server = null;
        try {
            created = NetnsLab.create("peer", "a", "b");
            this.lab = created;
            InetSocketAddress listen = new InetSocketAddress(lab.host("peer").address(), PEER_PORT);
            server = lab.host("peer").netns().call(() -> ServerSocketChannel.open().bind(listen, 64));
            this.peer = server;
            this.workloads = new Workloads(work.resolve("workloads"));
            this.keysA = ClusterKeys.init(work.resolve("keys-a"), "bench-a");
            this.keysB = ClusterKeys.issue(work.resolve("keys-a"), "bench-b", work.resolve("keys-b"));
            CriuLaunch criu = CriuLaunch.defaults();
            this.source = new Checkpointer(workloads, keysA, work.resolve("images-a"), criu);
            this.target = new Checkpointer(workloads, keysB, work.resolve("images-b"), criu);
        } catch (Exception | Error e) {
            if (server != null) server.close();
            if (created != null) created.close();
            deleteTree(work);
            Runtime.getRuntime().removeShutdownHook(onExit);
            throw e;
        }
        acceptor = Thread.ofPlatform().daemon().name("bench-peer").start(this::accept);
    }

    /** A lab whose work directory is a new directory under {@code base}. */
    static CheckpointLab create(Path base) throws Exception {
        Files.createDirectories(base);
        return new CheckpointLab(Files.createTempDirectory(base, "baton-ckpt-bench-"));
    }

    private void accept() {
        try {
            while (true) {
                SocketChannel c = peer.accept();
                synchronized (accepted) {
                    accepted.add(c);
                }
            }
        } catch (ClosedChannelException e) {
            // the lab is closing
        } catch (IOException e) {
            System.err.println("bench peer stopped accepting: " + e);
        }
    }

    Path work() {
        return work;
    }

    Host a() {
        return lab.host("a");
    }

    Host b() {
        return lab.host("b");
    }

    Workloads workloads() {
        return workloads;
    }

    ClusterKeys keysA() {
        return keysA;
    }

    ClusterKeys keysB() {
        return keysB;
    }

    /** Checkpointer on host a (dumps, seals with a's identity). */
    Checkpointer source() {
        return source;
    }

    /** Checkpointer on host b (opens with b's identity, restores). */
    Checkpointer target() {
        return target;
    }

    /**
     * Starts workload {@code name} on host a: {@code sleep} for {@code mib} ≤ 1, else Python holding {@code mib}
     * MiB it has written; both with one connection to the peer. Returns once it is ready.
     */
    Started start(String name, int mib) {
        String peerIp = lab.host("peer").address().getHostAddress();
        // Workloads drops the host's /run/netns bind mounts from the workload's mount table, as for any workload.
        List<String> command = mib <= 1 ? List.of("/bin/bash", "-c", SLEEP, peerIp)
                : List.of("/usr/bin/python3", "-c", ALLOCATE, peerIp, Integer.toString(mib));
        String comm = mib <= 1 ? "sleep" : "python3";
        Workload w = workloads.start(name, command, a().nsName());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
        // "ready" is printed after the allocation; bash prints it just before it becomes sleep. Sleeping (S) once
        // it got there: sleep has loaded itself, so its RSS is what it will be.
        while (!(printedReady(w) && comm.equals(procFile(w.rootPid(), "comm").strip()) && sleeping(w.rootPid()))) {
            if (!Workloads.isRunning(w)) throw new IllegalStateException(name + " ended before it was ready: " + tail(w));
            if (System.nanoTime() > deadline) {
                stop(name);
                throw new IllegalStateException(name + " was not ready within " + READY_TIMEOUT_MS + " ms: " + tail(w));
            }
            pause(5);
        }
        return new Started(w, rssKiB(w.rootPid()) / 1024.0);
    }

    /** Ends workload {@code name} if it runs (where it was restored, too), forgets it, drops the peer's ends. */
    void stop(String name) {
        workloads.find(name).ifPresent(w -> {
            workloads.kill(name);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (Workloads.isRunning(workloads.get(name)) && System.nanoTime() < deadline) pause(5);
            if (Workloads.isRunning(workloads.get(name))) {
                System.err.println("workload " + name + " did not end within 10 s of SIGKILL");
                return;
            }
            workloads.forget(name);
        });
        closePeerEnds();
    }

    /** Records that the workload now runs as {@code pid} (after a restore), so that {@link #stop} ends it. */
    void restored(Workload w, long pid, Host host) {
        workloads.recordMoved(w, pid, host.nsName());
    }

    private void closePeerEnds() {
        synchronized (accepted) {
            for (SocketChannel c : accepted) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            accepted.clear();
        }
    }

    /**
     * Prints CRIU lock tables ({@code inet CRIU-…}) still present on hosts a and b: after a restore into the same
     * namespace CRIU removes its own, and Baton's lane releases the source's by {@code commit}; any left is a leak.
     */
    void reportLeftoverLocks() {
        for (Host h : List.of(a(), b())) {
            List<String> tables = h.netns().exec(null, "nft", "list", "tables").lines()
                    .filter(l -> l.contains("CRIU")).toList();
            if (!tables.isEmpty()) System.out.println("CRIU lock tables left on host " + h.name() + ": " + tables);
        }
    }

    /** A new directory in the work directory. */
    Path newDir(String name) {
        try {
            return Files.createDirectory(work.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException("creating " + name + " in " + work, e);
        }
    }

    /** CRIU's command line run inside {@code host}'s network namespace; its {@code --display-stats} parsed. */
    record CliRun(double wallMs, Map<String, Long> stats, String output) {
        double statMs(String name) {
            Long us = stats.get(name);
            return us == null ? Double.NaN : us / 1000.0;
        }
    }

    /**
     * Runs {@code criu ARGS} in {@code host}'s namespace ({@code nsenter --net}) as a caller would: from spawning
     * it to its exit, its output read to the end.
     *
     * @throws IllegalStateException when it fails, with its output and the error lines of {@code log}
     */
    static CliRun criu(Host host, Path log, List<String> args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(CRIU));
        argv.addAll(args);
        long start = System.nanoTime();
        Process p = new ProcessBuilder(host.command(argv.toArray(String[]::new))).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("criu " + args.getFirst() + " did not end within 120 s");
        }
        double ms = (System.nanoTime() - start) / 1e6;
        if (p.exitValue() != 0) {
            throw new IllegalStateException("criu " + args.getFirst() + " failed (exit " + p.exitValue() + "): "
                    + out.strip() + " | " + errors(log));
        }
        Map<String, Long> stats = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            Matcher m = STAT_LINE.matcher(line.strip());
            if (m.find()) stats.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return new CliRun(ms, stats, out);
    }

    /** Spawning {@code nsenter --net=… -- /bin/true} the way {@link #criu} spawns CRIU: the cost of a command line. */
    static double spawnMs(Host host) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(host.command("/bin/true")).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        p.getInputStream().readAllBytes();
        p.waitFor();
        return (System.nanoTime() - start) / 1e6;
    }

    private static String errors(Path log) {
        try {
            return Files.readAllLines(log).stream().filter(l -> l.contains("Error") && !l.contains("RLIMIT_NOFILE"))
                    .reduce((x, y) -> x + " | " + y).orElse("(no error lines in " + log + ")");
        } catch (IOException e) {
            return "(no log " + log + ")";
        }
    }

    /**
     * Writes dirty pages back ({@code sync}) before a measured step, so that one step does not pay for the
     * writeback of the one before. Not part of any figure.
     */
    static void sync() {
        try {
            new ProcessBuilder("sync").inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException("sync", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted in sync", e);
        }
    }

    /** The regular files in {@code dir} (an image directory), by name. */
    static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** The total size of the regular files in {@code dir}. */
    static long size(Path dir) {
        try {
            long total = 0;
            for (Path f : files(dir)) total += Files.size(f);
            return total;
        } catch (IOException e) {
            throw new UncheckedIOException("sizing the files in " + dir, e);
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }

    private static boolean printedReady(Workload w) {
        try {
            return Files.exists(w.stdout()) && Files.readString(w.stdout()).contains("ready");
        } catch (IOException e) {
            return false;
        }
    }

    private static String procFile(long pid, String name) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), name));
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean sleeping(long pid) {
        String stat = procFile(pid, "stat");
        int end = stat.lastIndexOf(')');
        return end > 0 && end + 2 < stat.length() && stat.charAt(end + 2) == 'S';
    }

    private static long rssKiB(long pid) {
        for (String line : procFile(pid, "status").split("\n")) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        throw new IllegalStateException("no VmRSS for PID " + pid);
    }

    private static String tail(Workload w) {
        try {
            return Files.exists(w.stderr()) ? Files.readString(w.stderr()).strip() : "(no stderr)";
        } catch (IOException e) {
            return "(unreadable stderr)";
        }
    }

    static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Ends every recorded workload still running, then the peer, the namespaces, and the work directory. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            for (Workload w : workloads.list()) {
                try {
                    stop(w.name());
                } catch (RuntimeException e) {
                    System.err.println("could not stop workload " + w.name() + ": " + e.getMessage());
                }
            }
        } catch (RuntimeException e) {
            System.err.println("could not list the workloads in " + workloads.dir() + ": " + e.getMessage());
        }
        try {
            peer.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        closePeerEnds();
        lab.close();
        deleteTree(work);
        if (Thread.currentThread() != onExit) {
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to
            }
        }
    }
}
