package dev.baton.demo;

import dev.baton.ckpt.Checkpointer;
import dev.baton.ckpt.bundle.BundleWriter;
import dev.baton.ckpt.Checkpointer.Dumped;
import dev.baton.ckpt.agent.Hooks;
import dev.baton.ckpt.agent.RestoreReport;
import dev.baton.ckpt.agent.RestoreRequest;
import dev.baton.ckpt.criu.CriuLaunch;
import dev.baton.ckpt.image.ImageDir;
import dev.baton.ckpt.image.InetSocketImage;
import dev.baton.ckpt.image.SendQueueTrim;
import dev.baton.ckpt.image.TcpStreamImage;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.netns.NetNamespace;
import dev.baton.netns.NetnsLab;
import dev.baton.peer.FlowHold;
import dev.baton.peer.InPlaceRepoint;
import dev.baton.socket.Pause;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.SocketCapture;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.TcpSocket;
import dev.baton.socket.TcpState;
import dev.baton.socket.audit.WireAudit;
import dev.baton.socket.audit.WireCapture;
import dev.baton.socket.audit.WireReport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The stage of the whole-process migration tests: three test hosts (peer, a, b), a {@link Checkpointer} whose
 * keys, workload records and images live in one directory, EchoCounter workloads, and a wire capture on the
 * peer's interface from the start. {@link #migrate} moves a workload with a live connection to another host in
 * the order that loses nothing and sends no RST, the peer re-pointed in place. {@link #close()} kills every
 * workload it recorded (by its root PID) and deletes the hosts; the directory is the caller's.
 */
public final class ProcessMigrationScenario implements AutoCloseable {
    public static final int PORT = 7000;

    private final NetnsLab lab;
    private final Path home;
    private final Path pcap;
    private final ClusterKeys keys;
    private final Workloads workloads;
    private final Checkpointer checkpointer;
    private WireCapture capture;
    private int bundles;

    private ProcessMigrationScenario(NetnsLab lab, Path home) throws IOException {
        this.lab = lab;
        this.home = home;
        this.pcap = home.resolve("peer.pcap");
        this.keys = ClusterKeys.init(home.resolve("keys"), "host-a");
        this.workloads = new Workloads(home.resolve("workloads"));
        this.checkpointer = new Checkpointer(workloads, keys, imagesRoot(), CriuLaunch.defaults());
    }

    /** Builds the hosts and starts capturing the peer's TCP traffic on port 7000; {@code home} holds the state. */
    public static ProcessMigrationScenario create(Path home) throws Exception {
        SocketCapture.warmUp();
        BundleWriter.warmUp(); // the bundle's crypto compiled: sealing and opening are then not the freeze
        NetnsLab lab = NetnsLab.create("peer", "a", "b");
        ProcessMigrationScenario m = null;
        try {
            m = new ProcessMigrationScenario(lab, home);
            m.capture = WireCapture.start(lab.host("peer").netns(), "eth0", "tcp port " + PORT, m.pcap);
            return m;
        } catch (Exception | Error e) {
            if (m != null) m.close();
            else lab.close();
            throw e;
        }
    }

    public Checkpointer checkpointer() {
        return checkpointer;
    }

    public Workloads workloads() {
        return workloads;
    }

    public Path home() {
        return home;
    }

    public Path keysDir() {
        return home.resolve("keys");
    }

    public Path imagesRoot() {
        return home.resolve("images");
    }

    public NetnsLab.Host host(String name) {
        return lab.host(name);
    }

    public InetSocketAddress service(String host) {
        return new InetSocketAddress(lab.host(host).address(), PORT);
    }

    /** The command of an EchoCounter workload: a small JVM, which CRIU dumps and restores whole (~40 MiB). */
    public static List<String> echoCounterCommand() {
        return List.of(ProcessHandle.current().info().command().orElse("java"), "-XX:-UsePerfData",
                "-XX:+UseSerialGC", "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                EchoCounter.class.getName(), "0.0.0.0:" + PORT);
    }

    /** Starts EchoCounter as a workload on {@code host} and returns once it listens. */
    public Workload startEchoCounter(String name, String host) throws Exception {
        Workload w = workloads.start(name, echoCounterCommand(), lab.host(host).nsName());
        awaitListening(w);
        return w;
    }

    /** Waits for the workload's LISTENING line. */
    public static void awaitListening(Workload w) throws Exception {
        await("LISTENING from " + w.name(), Duration.ofSeconds(30), () -> outputOf(w).stream()
                .anyMatch(l -> l.startsWith("LISTENING")));
    }

    /** The workload's standard output so far, by lines. */
    public static List<String> outputOf(Workload w) {
        try {
            return Files.exists(w.stdout()) ? Files.readAllLines(w.stdout()) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** EchoCounter's {@code tick N echoed M} lines so far. */
    public static List<Tick> ticks(Workload w) {
        return ticks(outputOf(w));
    }

    /** EchoCounter's {@code tick N echoed M} lines among {@code lines}. */
    public static List<Tick> ticks(List<String> lines) {
        List<Tick> out = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            if (f.length == 4 && f[0].equals("tick") && f[2].equals("echoed")) {
                out.add(new Tick(Long.parseLong(f[1]), Long.parseLong(f[3])));
            }
        }
        return out;
    }

    public record Tick(long n, long echoed) {
    }

    /** Waits until the workload has printed {@code more} ticks beyond {@code seen}. */
    public static List<Tick> awaitTicks(Workload w, int seen, int more) throws Exception {
        await((seen + more) + " ticks from " + w.name(), Duration.ofSeconds(20), () -> ticks(w).size() >= seen + more);
        return ticks(w);
    }

    /** The PIDs of the processes whose network namespace is {@code host}'s. */
    public List<Integer> processesIn(String host) {
        Path ns = lab.host(host).netns().path();
        List<Integer> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            Object inode = Files.getAttribute(ns, "unix:ino");
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (inode.equals(Files.getAttribute(p.resolve("ns/net"), "unix:ino"))) {
                        pids.add(Integer.parseInt(p.getFileName().toString()));
                    }
                } catch (IOException endedMeanwhile) {
                    // not there any more
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pids;
    }

    /** nftables tables in {@code host}'s namespace, e.g. {@code table inet CRIU-1234}. */
    public String nftTables(String host) {
        return lab.host(host).netns().exec(null, "nft", "list", "tables").strip();
    }

    /** The directories under the images root (dumps kept, bundles being unpacked). */
    public List<Path> imageDirs() throws IOException {
        if (!Files.exists(imagesRoot())) return List.of();
        try (Stream<Path> s = Files.list(imagesRoot())) {
            return s.toList();
        }
    }

    /** The peer process's connection to port 7000. */
    public static SocketEntry peerConnection(int peerPid) {
        try (ProcessSockets p = ProcessSockets.open(peerPid)) {
            return p.list().stream().filter(e -> e.state() == TcpState.ESTABLISHED && e.remote().getPort() == PORT)
                    .findFirst().orElseThrow(() -> new IllegalStateException("process " + peerPid
                            + " has no connection to port " + PORT + ": " + p.list()));
        }
    }

    /**
     * One move of a workload, with the wall time of each step in milliseconds.
     *
     * @param outputLinesAtDump lines of the workload's standard output when CRIU had dumped it: all it wrote on
     *                          {@code from}
     */
    public record Migration(String from, String to, int outputLinesAtDump, long bundleBytes, SendQueueTrim trim,
                     Map<String, Double> dumpMs, Map<String, Double> stepsMs, Map<String, Double> restoreMs,
                     double frozenMs) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s -> %s: peer frozen %.1f ms; steps %s; dump %s; restore %s; bundle %.1f MiB;"
                            + " send queue %s", from, to, frozenMs, format(stepsMs), format(dumpMs), format(restoreMs),
                    bundleBytes / 1048576.0, trim);
        }

        private static String format(Map<String, Double> ms) {
            StringBuilder s = new StringBuilder();
            ms.forEach((k, v) -> s.append(s.isEmpty() ? "" : ", ").append(k).append(' ')
                    .append(String.format(Locale.ROOT, "%.1f", v)));
            return "[" + s + "]";
        }
    }

    /**
     * Moves workload {@code name} from host {@code from} to host {@code to} (another IP) with its connection to the
     * peer process {@code peerPid}, which is re-pointed in place and sees a pause:
     * <pre>
     *   hold      the peer's packets to the workload dropped (nftables, output, in the peer's namespace);
     *             the peer process stopped
     *   dump      CRIU dumps the workload, network lock skipped (the hold is the lock); it is gone from {@code from}
     *   snapshot  the peer's socket in repair mode: its rcv_nxt is what the workload's image must still send
     *   reconcile the image's send queue trimmed to the peer's rcv_nxt, the rest unsent: sent at once on restore
     *   seal      the images into a bundle file
     *   aim       the peer's socket rebuilt aimed at {@code to}, its send queue trimmed to the image's rcv_nxt
     *   release   the hold lifted (nothing is addressed to {@code from} any more)
     *   restore   the bundle restored in {@code to}'s namespace, the socket's address rewritten from → to
     *   resume    the peer's socket leaves repair mode, the peer process continues
     * </pre>
     * A failure before the restore puts the peer back as it was (its socket rebuilt aimed at {@code from}) and
     * continues it; the test fails with the cause.
     */
    public Migration migrate(String name, int peerPid, String from, String to) throws Exception {
        InetSocketAddress peerEnd = peerConnection(peerPid).local();
        int peerFd = peerConnection(peerPid).fd();
        Map<String, Double> steps = new LinkedHashMap<>();
        Path bundle = home.resolve(name + "-" + (++bundles) + ".bundle");
        try (ProcessSockets peer = ProcessSockets.open(peerPid);
             FlowHold hold = FlowHold.create(lab.host("peer").netns())) {
            // Our duplicate of the peer's fd, taken before the freeze; the re-point owns it from begin().
            TcpSocket socket = peer.grab(peerFd);
            long t0 = System.nanoTime();
            long t = t0;
            Dumped dump;
            int linesAtDump;
            Pause paused = null;
            try {
                hold.hold(List.of(), List.of(service(from)));
                paused = peer.pause();
                t = step(steps, "hold", t);
                dump = checkpointer.checkpoint(name, true, Hooks.NONE);
                t = step(steps, "dump", t);
                linesAtDump = outputOf(dump.workload()).size(); // it is gone: its output is complete
            } catch (RuntimeException | Error e) {
                socket.close();
                if (paused != null) paused.close();
                throw e;
            }
            try (Pause stopped = paused) {
                try (InPlaceRepoint repoint = InPlaceRepoint.begin(socket)) {
                    t = step(steps, "snapshot", t);
                    ImageDir images = ImageDir.open(dump.images());
                    InetSocketImage connection = images.inetSockets().stream()
                            .filter(s -> s.isTcp() && s.remote().equals(peerEnd)).findFirst()
                            .orElseThrow(() -> new IllegalStateException("no connection to " + peerEnd + " in "
                                    + images.inetSockets()));
                    SendQueueTrim trim = images.reconcileSendQueue(connection, repoint.before().receiveQueue().endSeq());
                    TcpStreamImage stream = images.tcpStream(connection).orElseThrow();
                    t = step(steps, "reconcile", t);
                    long size;
                    try (OutputStream out = Files.newOutputStream(bundle)) {
                        size = checkpointer.seal(dump, out, Hooks.NONE);
                    }
                    checkpointer.discardImages(dump);
                    t = step(steps, "seal", t);
                    repoint.aim(service(to), stream.inqSeq());
                    hold.release();
                    t = step(steps, "aim+release", t);
                    RestoreReport restored;
                    try (InputStream in = Files.newInputStream(bundle)) {
                        restored = checkpointer.restore(new RestoreRequest(
                                Map.of(host(from).address().getHostAddress(), host(to).address().getHostAddress()),
                                host(to).nsName(), false), in, Hooks.NONE);
                    }
                    t = step(steps, "restore", t);
                    repoint.resume();
                    stopped.close();
                    t = step(steps, "resume", t);
                    Files.delete(bundle);
                    return new Migration(from, to, linesAtDump, size, trim, dump.phasesMs(), steps, restored.phasesMs(),
                            (t - t0) / 1e6);
                }
            }
        }
    }

    private static long step(Map<String, Double> steps, String name, long since) {
        long now = System.nanoTime();
        steps.put(name, (now - since) / 1e6);
        return now;
    }

    /**
     * Stops the wire capture and audits the peer's connection in it ({@code peerEnd}: the peer's local address).
     */
    public WireReport audit(InetSocketAddress peerEnd) throws Exception {
        capture.close();
        return WireAudit.analyze(pcap, peerEnd);
    }

    public static void await(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            Thread.sleep(20);
        }
    }

    /** Kills every recorded workload still running (SIGKILL to its root PID), then deletes the hosts. */
    @Override
    public void close() {
        try {
            for (Workload w : workloads.list()) {
                workloads.kill(w.name());
                try {
                    await(w.name() + " to end", Duration.ofSeconds(5), () -> !Workloads.isRunning(w));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        } finally {
            try {
                if (capture != null) capture.close();
            } finally {
                lab.close();
            }
        }
    }
}
