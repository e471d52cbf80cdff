package dev.baton.demo;

import dev.baton.ckpt.BatonHome;
import dev.baton.ckpt.Checkpointer;
import dev.baton.ckpt.Checkpointer.Dumped;
import dev.baton.ckpt.agent.Hooks;
import dev.baton.ckpt.agent.RestoreReport;
import dev.baton.ckpt.agent.RestoreRequest;
import dev.baton.ckpt.bundle.BundleWriter;
import dev.baton.ckpt.criu.CriuLaunch;
import dev.baton.ckpt.image.ImageDir;
import dev.baton.ckpt.image.InetSocketImage;
import dev.baton.ckpt.image.SendQueueTrim;
import dev.baton.ckpt.image.TcpStreamImage;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.netns.NetnsLab;
import dev.baton.peer.FlowHold;
import dev.baton.peer.InPlaceRepoint;
import dev.baton.socket.Pause;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.TcpSocket;
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
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The whole-process migration scenario shared by {@code baton demo} (act 2) and the end-to-end tests: three test
 * hosts (peer, a, b); a {@link Checkpointer} whose keys, workload records, images and bundles live in a temporary
 * directory of its own; EchoCounter workloads (a JVM with counters in memory); a checked peer
 * ({@link StreamEndpoint} {@code --echo}) and a wire capture on the peer's interface from the start.
 * {@link #migrate} moves a workload with its live connection to another host (another IP) in the order that loses
 * nothing and sends no RST, the peer re-pointed in place. {@link #close()} ends every process it started (by PID),
 * deletes the hosts (and with them every nftables table left in them), and deletes the directory.
 */
public final class ProcessMigrationScenario implements AutoCloseable {
    public static final int PORT = Stage.PORT;
    /** The name of the EchoCounter workload {@link #start} runs. */
    public static final String WORKLOAD = "echo";
    private static final Duration START_TIMEOUT = Stage.START_TIMEOUT;

    private final Path home;
    private final Stage stage;
    private final Workloads workloads;
    private final Checkpointer checkpointer;
    /** The checked peer, once {@link #connectPeer}ed; {@code null} before (or when a test brings its own). */
    private EndpointProcess peer;
    /** The checked peer's connection when it connected. */
    private SocketEntry peerSocket;
    private int bundles;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ProcessMigrationScenario(Path home, Stage stage) {
        this.home = home;
        this.stage = stage;
        ClusterKeys keys = ClusterKeys.init(keysDir(), "host-a");
        this.workloads = new Workloads(home.resolve("workloads"));
        this.checkpointer = new Checkpointer(workloads, keys, imagesRoot(), CriuLaunch.defaults());
    }

    /**
     * Builds the stage: a new temporary directory with cluster keys, the hosts, and the capture of the peer's TCP
     * traffic on port 7000. No workload runs yet.
     */
    public static ProcessMigrationScenario create() throws IOException {
        BundleWriter.warmUp(); // the bundle's crypto compiled: sealing and opening are then not the freeze
        Path home = Files.createTempDirectory("baton-demo-");
        Stage stage = null;
        try {
            stage = Stage.create(home.resolve("peer.pcap"));
            return new ProcessMigrationScenario(home, stage);
        } catch (IOException | RuntimeException | Error e) {
            try {
                if (stage != null) stage.close();
            } finally {
                deleteTree(home);
            }
            throw e;
        }
    }

    /**
     * {@link #create()}, then EchoCounter as workload {@value #WORKLOAD} on a and the checked peer streaming to it
     * at {@code bytesPerSecond}; returns once the peer is connected.
     */
    public static ProcessMigrationScenario start(int bytesPerSecond) throws Exception {
        ProcessMigrationScenario s = create();
        try {
            s.startEchoCounter(WORKLOAD, "a");
            s.connectPeer(bytesPerSecond);
            return s;
        } catch (Exception | Error e) {
            s.close();
            throw e;
        }
    }

    public Checkpointer checkpointer() {
        return checkpointer;
    }

    public Workloads workloads() {
        return workloads;
    }

    /** The scenario's state directory ({@code BATON_HOME} for a CLI run against it), deleted by {@link #close()}. */
    public Path home() {
        return home;
    }

    public Path keysDir() {
        return home.resolve("keys");
    }

    /** Where the scenario's images live, as for a CLI run with its home ({@link BatonHome#defaultImages}). */
    public Path imagesRoot() {
        return BatonHome.defaultImages(home);
    }

    public NetnsLab.Host host(String name) {
        return stage.host(name);
    }

    public List<NetnsLab.Host> hosts() {
        return stage.lab().hosts();
    }

    public InetSocketAddress service(String host) {
        return stage.service(host);
    }

    /** A restore into {@code to}'s namespace with {@code from}'s address rewritten to {@code to}'s. */
    public RestoreRequest restoreRequest(String from, String to) {
        return new RestoreRequest(Map.of(host(from).address().getHostAddress(), host(to).address().getHostAddress()),
                host(to).nsName(), false);
    }

    /** The command of an EchoCounter workload: a small JVM, which CRIU dumps and restores whole (~40 MiB). */
    public static List<String> echoCounterCommand() {
        return List.of(ProcessHandle.current().info().command().orElse("java"), "-XX:-UsePerfData",
                "-XX:+UseSerialGC", "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                EchoCounter.class.getName(), "0.0.0.0:" + PORT);
    }

    /** Starts EchoCounter as a workload on {@code host} and returns once it listens. */
    public Workload startEchoCounter(String name, String host) throws Exception {
        Workload w = workloads.start(name, echoCounterCommand(), host(host).nsName());
        awaitListening(w);
        return w;
    }

    /**
     * Starts the checked peer on the peer host: it connects to port 7000 on a, writes {@link StreamPattern} bytes
     * at {@code bytesPerSecond} and checks that every byte comes back (EchoCounter echoes). Ended by
     * {@link #close()}.
     */
    public EndpointProcess connectPeer(int bytesPerSecond) throws Exception {
        if (peer != null) throw new IllegalStateException("the peer is connected already: " + peer);
        peer = stage.connectPeer("--echo", "--rate", Integer.toString(bytesPerSecond));
        peerSocket = peerConnection(peer.pid());
        return peer;
    }

    /** The checked peer. */
    public EndpointProcess peer() {
        if (peer == null) throw new IllegalStateException("no peer: connectPeer first");
        return peer;
    }

    /**
     * The checked peer's connection as it was when it connected: a move keeps its fd, its socket and its local end
     * (only the remote end follows the workload).
     */
    public SocketEntry peerSocket() {
        peer();
        return peerSocket;
    }

    /** Waits until the peer has read at least {@code bytes} of its echo, each byte as expected. */
    public void awaitEchoed(long bytes, Duration timeout) throws Exception {
        awaitPeer("reach " + bytes + " bytes", timeout, s -> s.read() >= bytes);
    }

    /** Stops the peer's writer and waits until it has read back everything it wrote; returns its counters. */
    public EndpointProcess.Stats drain(Duration timeout) throws Exception {
        peer().send("STOP");
        return awaitPeer("drain within " + timeout, timeout, s -> s.read() == s.written());
    }

    /** Polls the peer's counters until {@code done}; fails at once on a bad byte, or after {@code timeout}. */
    private EndpointProcess.Stats awaitPeer(String what, Duration timeout, Predicate<EndpointProcess.Stats> done)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            EndpointProcess.Stats s = peer().stats();
            if (done.test(s)) return s;
            if (!s.clean() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the peer's echo did not " + what + ": " + s);
            }
            Thread.sleep(20);
        }
    }

    // ------------------------------------------------------------------------------- the workload's output

    /** Waits for the workload's LISTENING line. */
    public static void awaitListening(Workload w) throws InterruptedException {
        await("LISTENING from " + w.name(), START_TIMEOUT, () -> outputOf(w).stream()
                .anyMatch(l -> l.startsWith("LISTENING")));
    }

    /** The workload's standard output so far, by lines. */
    public static List<String> outputOf(Workload w) {
        try {
            return Files.exists(w.stdout()) ? Files.readAllLines(w.stdout()) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the output of " + w.name(), e);
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

    /** One line of EchoCounter's: its tick counter and how many bytes it had echoed, both held in memory. */
    public record Tick(long n, long echoed) {
    }

    /** Waits until the workload has printed {@code more} ticks beyond {@code seen}. */
    public static List<Tick> awaitTicks(Workload w, int seen, int more) throws InterruptedException {
        await((seen + more) + " ticks from " + w.name(), Duration.ofSeconds(20), () -> ticks(w).size() >= seen + more);
        return ticks(w);
    }

    /** Whether the ticks go 0, 1, 2, … without a restart (back to 0) or a jump, and echoed never goes back. */
    public static boolean countsOn(List<Tick> ticks) {
        for (int i = 0; i < ticks.size(); i++) {
            if (ticks.get(i).n() != i) return false;
            if (i > 0 && ticks.get(i).echoed() < ticks.get(i - 1).echoed()) return false;
        }
        return true;
    }

    /** Whether the workload printed LISTENING once: it was moved, never restarted. */
    public static boolean startedOnce(Workload w) {
        return outputOf(w).stream().filter(l -> l.startsWith("LISTENING")).count() == 1;
    }

    /**
     * The ticks either side of a move: the last the workload printed before it was dumped, and the first after its
     * restore.
     */
    public record Continuity(Tick lastBefore, Tick firstAfter) {
        /** The tick after the restore is the next one: the counter went on from memory, it did not restart. */
        public boolean continued() {
            return firstAfter.n() == lastBefore.n() + 1;
        }
    }

    /**
     * The workload's last tick in its first {@code outputLinesAtDump} lines of output and the first one after them,
     * waited for.
     */
    public Continuity continuity(String workload, int outputLinesAtDump) throws InterruptedException {
        Workload w = workloads.get(workload);
        List<Tick> before = ticks(outputOf(w).subList(0, outputLinesAtDump));
        if (before.isEmpty()) throw new IllegalStateException(workload + " printed no tick before its dump");
        List<Tick> all = awaitTicks(w, before.size(), 1);
        return new Continuity(before.getLast(), all.get(before.size()));
    }

    // -------------------------------------------------------------------------------------------- the move

    /** The peer process's connection to port 7000. */
    public static SocketEntry peerConnection(int peerPid) {
        return Stage.peerConnection(peerPid);
    }

    /**
     * One move of a workload, with the wall time of each step in milliseconds.
     *
     * @param restoredPid       the workload's root PID on {@code to}
     * @param outputLinesAtDump lines of the workload's standard output when CRIU had dumped it: all it wrote on
     *                          {@code from}
     * @param bundleBytes       the sealed bundle's size
     * @param trim              what reconciling the image's send queue with the peer's {@code rcv_nxt} changed
     * @param stepsMs           the move's steps, in order (hold, dump, snapshot, reconcile, seal, aim,
     *                          restore, resume)
     * @param dumpMs            the dump's phases (CRIU's start, its dump, reading the images)
     * @param restoreMs         the restore's phases (opening the bundle, the rewrite, CRIU's restore, …)
     * @param frozenMs          how long the peer process was stopped: hold to resume
     */
    public record Migration(String workload, String from, String to, long restoredPid, int outputLinesAtDump,
                            long bundleBytes, SendQueueTrim trim, Map<String, Double> stepsMs,
                            Map<String, Double> dumpMs, Map<String, Double> restoreMs, double frozenMs) {
        public Migration {
            stepsMs = Collections.unmodifiableMap(new LinkedHashMap<>(stepsMs));
            dumpMs = Collections.unmodifiableMap(new LinkedHashMap<>(dumpMs));
            restoreMs = Collections.unmodifiableMap(new LinkedHashMap<>(restoreMs));
        }

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

    /** A move that did not happen; the message says at which step, why, and where the workload runs now. */
    public static final class MoveFailedException extends RuntimeException {
        MoveFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Moves workload {@value #WORKLOAD} with its connection to the checked peer from {@code from} to {@code to}. */
    public Migration migrate(String from, String to) throws Exception {
        return migrate(WORKLOAD, peer().pid(), from, to);
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
     *   seal      the images into a bundle file (encrypted and signed)
     *   aim       the peer's socket rebuilt aimed at {@code to}, its send queue trimmed to the image's rcv_nxt
     *   restore   the bundle verified and restored in {@code to}'s namespace, the socket's address rewritten
     *   resume    the hold lifted (kept until now: a segment from the peer reaching {@code to} before the restored
     *             socket exists draws a RST), the peer's socket leaves repair mode, the peer process continues
     * </pre>
     * A failure before the dump leaves the workload running where it was (CRIU's promise) and the peer as it was.
     * A failure after it puts both back on {@code from} (the workload from its images, or from the bundle once they
     * are sealed); the {@link MoveFailedException} says so.
     */
    public Migration migrate(String name, int peerPid, String from, String to) throws Exception {
        Steps steps = new Steps();
        Path bundle = home.resolve(name + "-" + (++bundles) + ".bundle");
        try (ProcessSockets peerProcess = ProcessSockets.open(peerPid);
             FlowHold hold = FlowHold.create(host("peer").netns())) {
            SocketEntry peerSocket = Stage.peerConnection(peerProcess);
            InetSocketAddress peerLocal = peerSocket.local();
            // Our duplicate of the peer's fd, taken before the freeze; the re-point owns it from begin().
            TcpSocket socket = peerProcess.grab(peerSocket.fd());
            Dumped dump;
            int linesAtDump;
            Pause paused = null;
            try {
                steps.start();
                hold.hold(List.of(), List.of(service(from)));
                paused = peerProcess.pause();
                steps.lap("hold");
                dump = checkpointer.checkpoint(name, true, Hooks.NONE);
                steps.lap("dump");
                linesAtDump = outputOf(dump.workload()).size(); // it is gone: its output is complete
            } catch (RuntimeException | Error e) {
                socket.close();
                if (paused != null) paused.close();
                throw e;
            }
            try (Pause stopped = paused) {
                InPlaceRepoint repoint = null;
                TcpStreamImage stream = null;
                RestoreReport restored;
                SendQueueTrim trim;
                long size;
                boolean sealed = false;
                boolean aimed = false;
                try {
                    repoint = InPlaceRepoint.begin(socket);
                    steps.lap("snapshot");
                    ImageDir images = dump.imageDir();
                    InetSocketImage connection = images.inetSockets().stream()
                            .filter(s -> s.isTcp() && s.remote().equals(peerLocal)).findFirst()
                            .orElseThrow(() -> new IllegalStateException("no connection to " + peerLocal + " in "
                                    + images.inetSockets()));
                    trim = images.reconcileSendQueue(connection, repoint.before().receiveQueue().endSeq());
                    stream = images.tcpStream(connection).orElseThrow(() ->
                            new IllegalStateException("no tcp-stream image for " + connection));
                    steps.lap("reconcile");
                    try (OutputStream out = Files.newOutputStream(bundle)) {
                        size = checkpointer.seal(dump, out, Hooks.NONE);
                    }
                    checkpointer.release(dump);
                    sealed = true;
                    steps.lap("seal");
                    aimed = true;
                    repoint.aim(service(to), stream.inqSeq());
                    steps.lap("aim");
                    try (InputStream in = Files.newInputStream(bundle)) {
                        restored = checkpointer.restore(restoreRequest(from, to), in, Hooks.NONE);
                    }
                    steps.lap("restore");
                } catch (Exception | Error e) {
                    String where = putBack(dump, bundle, sealed, repoint, aimed ? stream : null, from, e);
                    throw new MoveFailedException("moving " + name + " from " + from + " to " + to + " failed at "
                            + steps.current() + ": " + e.getMessage() + "; " + where, e);
                }
                // Held until the workload runs on the target: anything the peer's kernel sent to it before its
                // socket existed would draw a RST. The peer's window probe on resume answers the restored socket.
                hold.release();
                try (InPlaceRepoint done = repoint) {
                    done.resume();
                }
                stopped.close();
                steps.lap("resume");
                Files.delete(bundle);
                return new Migration(name, from, to, restored.pid(), linesAtDump, size, trim, steps.ms(),
                        dump.phasesMs(), restored.phasesMs(), steps.totalMs());
            }
        }
    }

    /**
     * Undoes a move that failed after the dump (nothing runs on the target): the workload is restored on
     * {@code from} — from its images, or from the bundle once they are sealed — and the peer's socket goes back to
     * {@code from} too. Its socket is aimed back there (in repair mode, quiet) <em>before</em> the workload runs
     * again, as on the way out: a segment from the restored workload that no socket of the peer matches would be
     * answered with a RST. Returns where the workload runs now, for the error; failures are added to
     * {@code failure}.
     *
     * @param aimedWith the image's stream when the peer's socket was (being) aimed at the target, else null
     */
    private String putBack(Dumped dump, Path bundle, boolean sealed, InPlaceRepoint repoint, TcpStreamImage aimedWith,
                           String from, Throwable failure) {
        try {
            if (aimedWith != null) repoint.aim(service(from), aimedWith.inqSeq());
            RestoreReport back;
            if (!sealed) {
                back = checkpointer.rollback(dump, Hooks.NONE);
            } else {
                try (InputStream in = Files.newInputStream(bundle)) {
                    back = checkpointer.restore(new RestoreRequest(Map.of(), dump.workload().netns(), false), in,
                            Hooks.NONE);
                }
                Files.deleteIfExists(bundle);
            }
            if (repoint != null) {
                if (aimedWith != null) repoint.resume();
                repoint.close(); // not aimed: leaves repair mode as it was
            }
            return "it runs on " + from + " again (pid " + back.pid() + ")";
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
            if (repoint != null) {
                try {
                    repoint.close(); // the peer as it was before the move
                } catch (RuntimeException notBack) {
                    failure.addSuppressed(notBack);
                }
            }
            return "putting it back on " + from + " failed too: " + e.getMessage();
        }
    }

    /** Wall-clock laps of a move's steps, which run in {@link #ORDER}. */
    private static final class Steps {
        private static final List<String> ORDER = List.of("hold", "dump", "snapshot", "reconcile", "seal",
                "aim", "restore", "resume");
        private final Map<String, Double> ms = new LinkedHashMap<>();
        private long start;
        private long last;

        void start() {
            start = last = System.nanoTime();
        }

        void lap(String name) {
            if (!name.equals(current())) throw new IllegalStateException("step " + name + " out of order: " + ms);
            long now = System.nanoTime();
            ms.put(name, (now - last) / 1e6);
            last = now;
        }

        /** The step under way. */
        String current() {
            return ms.size() < ORDER.size() ? ORDER.get(ms.size()) : "the end";
        }

        Map<String, Double> ms() {
            return ms;
        }

        double totalMs() {
            return (last - start) / 1e6;
        }
    }

    /** Stops the wire capture and audits the checked peer's connection in it. */
    public WireReport audit() throws Exception {
        return audit(peerSocket().local());
    }

    /**
     * Stops the wire capture and audits the connection of the peer whose local address is {@code peerEnd} in it:
     * RSTs, holes, retransmissions, duplicates and the longest silence each way, across every move.
     */
    public WireReport audit(InetSocketAddress peerEnd) throws Exception {
        return stage.audit(peerEnd);
    }

    /** Waits until {@code done} holds, checking every 20 ms; fails naming {@code what} after {@code timeout}. */
    public static void await(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    // ------------------------------------------------------------------------------------------- clean-up

    /**
     * Ends the peer (our child, by its PID) and every recorded workload still running (SIGKILL to its root PID,
     * which ends its PID namespace), stops the capture, deletes the hosts — their namespaces take every nftables
     * table left in them (a flow hold left by a failure, a CRIU lock a dump kept) — and the directory. Each step
     * runs even when an earlier one failed. Once only: a second call (e.g. from a shutdown hook) does nothing.
     */
    @Override
    public void close() {
        if (closed.getAndSet(true)) return;
        List<Runnable> steps = List.of(
                this::endPeer,
                this::endWorkloads,
                stage::close,
                () -> deleteTree(imagesRoot()),
                () -> deleteTree(home));
        RuntimeException first = null;
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (RuntimeException e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }

    private void endPeer() {
        if (peer == null) return;
        try {
            peer.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGKILL to every workload at once, then one wait for them all. */
    private void endWorkloads() {
        List<Workload> all = workloads.list();
        for (Workload w : all) workloads.kill(w.name());
        try {
            await("the workloads " + all.stream().map(Workload::name).toList() + " to end", Duration.ofSeconds(5),
                    () -> all.stream().noneMatch(Workloads::isRunning));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Deletes {@code dir} and everything under it, if it exists. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("deleting " + dir, e);
        }
    }
}
