package dev.baton.e2e;

import dev.baton.demo.PacedFeeder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.ckpt.BatonHome;
import dev.baton.ckpt.CheckpointException;
import dev.baton.ckpt.Checkpointer.Dumped;
import dev.baton.ckpt.agent.Hooks;
import dev.baton.ckpt.agent.RestoreReport;
import dev.baton.ckpt.bundle.BundleException;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.cli.Cli;
import dev.baton.demo.EndpointProcess;
import dev.baton.demo.ProcessMigrationScenario;
import dev.baton.demo.ProcessMigrationScenario.Migration;
import dev.baton.demo.ProcessMigrationScenario.Tick;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpState;
import dev.baton.socket.audit.WireReport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.baton.demo.ProcessMigrationScenario.WORKLOAD;
import static dev.baton.demo.ProcessMigrationScenario.awaitTicks;
import static dev.baton.demo.ProcessMigrationScenario.outputOf;
import static dev.baton.demo.ProcessMigrationScenario.peerConnection;
import static dev.baton.demo.ProcessMigrationScenario.ticks;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Whole-process migration: a stateful server (EchoCounter, a JVM) is checkpointed by CRIU on host a, sealed into
 * a bundle, and restored on host b with its socket's address rewritten, while its peer keeps its connection — and
 * whatever goes wrong on the way leaves the workload running, or restorable where it was.
 */
@Tag("privileged")
class ProcessMigrationTest {
    private static final int RATE = 100_000;
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path home;

    @Test
    void aWorkloadWithALiveConnectionMovesToAnotherHostAndBackWhileItsPeerStreamsOnByteExact() throws Exception {
        try (ProcessMigrationScenario m = ProcessMigrationScenario.start(RATE)) {
            Workload w = m.workloads().get(WORKLOAD);
            EndpointProcess peer = m.peer();
            m.awaitEchoed(RATE / 2, WAIT);

            for (String[] move : List.of(new String[]{"a", "b"}, new String[]{"b", "a"})) {
                peer.send("RESET"); // the longest gap is measured per move
                long readBefore = peer.stats().read();
                Migration done = m.migrate(move[0], move[1]);
                m.awaitEchoed(readBefore + RATE, WAIT);
                EndpointProcess.Stats stats = peer.stats();
                System.out.printf("%s%n  peer's longest read gap %.1f ms%n", done, stats.longestGapMs());
                assertTrue(stats.clean(), "the peer read its echo back byte for byte: " + stats);
                assertEquals(m.host(move[1]).nsName(), m.workloads().get(WORKLOAD).netns(),
                        "the workload is recorded in " + move[1]);
                assertContinued(m, w, done.outputLinesAtDump());
            }

            assertNothingResent(assertDrainedByteExact(m, m.service("a")));
            assertStartedOnce(w);
        }
    }

    /**
     * socat, knowing nothing of Baton, sends pseudo-random bytes from its stdin (fed slowly through a pipe) and
     * writes what comes back to a file: after a → b → a the file is exactly what was sent.
     */
    @Test
    void anUnmodifiedSocatPeerGetsBackEveryByteItSentWhileTheWorkloadMovesToAnotherHostAndBack() throws Exception {
        Path sent = home.resolve("sent.bin");
        Path received = home.resolve("received.bin");
        try (ProcessMigrationScenario m = ProcessMigrationScenario.create()) {
            Workload w = m.startEchoCounter("echo", "a");
            Process socat = new ProcessBuilder(m.host("peer").command("socat", "-",
                    "TCP:" + StateJson.format(m.service("a"))))
                    .redirectOutput(received.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                int pid = (int) socat.pid();
                ProcessMigrationScenario.await("socat's connection", Duration.ofSeconds(10), () -> hasConnection(pid));
                SocketEntry peerEnd = peerConnection(pid);
                SplittableRandom random = new SplittableRandom(7000);
                try (PacedFeeder feeder = new PacedFeeder("socat", socat.getOutputStream(), RATE,
                        (offset, chunk) -> random.nextBytes(chunk), Files.newOutputStream(sent))) {
                    awaitSize(received, RATE / 2);
                    for (String[] move : List.of(new String[]{"a", "b"}, new String[]{"b", "a"})) {
                        long before = Files.size(received);
                        Migration done = m.migrate("echo", pid, move[0], move[1]);
                        awaitSize(received, before + RATE);
                        System.out.println("socat: " + done);
                        assertContinued(m, w, done.outputLinesAtDump());
                    }
                    feeder.stop();
                    assertNull(feeder.failure, "feeding socat's stdin");
                }
                ProcessMigrationScenario.await("socat's output to catch up with its input", Duration.ofSeconds(20),
                        () -> size(received) == size(sent));
                System.out.printf("socat sent %d bytes and received %d%n", Files.size(sent), Files.size(received));
                assertEquals(-1, Files.mismatch(sent, received), "socat received exactly what it sent");
                assertTrue(Files.size(sent) > 2L * RATE, "bytes flowed across both moves: " + Files.size(sent));
                assertTrue(socat.isAlive(), "socat still runs");
                assertSamePeerSocket(pid, peerEnd, m.service("a"));
                WireReport wire = m.audit(peerEnd.local());
                assertCleanWire(wire, Files.size(received));
                assertNothingResent(wire);
            } finally {
                end(socat);
            }
        }
    }

    /**
     * CRIU's own lock holds the connection on a while a restore on b is refused (a squatter listens on b:7000);
     * the bundle then restores on a through the CLI, the lock goes, and the peer — never touched — streams on.
     */
    @Test
    void aRestoreOntoAHostWhosePortIsTakenFailsNamingThePortAndTheSourceRestoresTheBundleThroughTheCli()
            throws Exception {
        try (ProcessMigrationScenario m = ProcessMigrationScenario.start(RATE)) {
            Workload w = m.workloads().get(WORKLOAD);
            EndpointProcess peer = m.peer();
            Process squatter = squatOnB(m);
            try {
                m.awaitEchoed(RATE / 2, WAIT);
                peer.send("RESET");

                Path bundle = home.resolve("echo.bundle");
                Cli dump = cli(m, "ckpt", "dump", "--name", "echo", "--out", bundle.toString());
                int linesAtDump = outputOf(w).size();
                long readAtDump = peer.stats().read();
                System.out.print(dump.out());
                assertTrue(nftTables(m, "a").contains("table inet CRIU-"), "CRIU's lock holds the flow on a: "
                        + nftTables(m, "a"));
                byte[] sealed = sha256(bundle);

                CheckpointException refused;
                try (InputStream in = Files.newInputStream(bundle)) {
                    refused = assertThrows(CheckpointException.class, () -> m.checkpointer().restore(
                            m.restoreRequest("a", "b"), in, Hooks.NONE));
                }
                System.out.println("refused: " + refused.getMessage());
                assertTrue(refused.getMessage().contains("port 7000 is already in use"), refused.getMessage());
                assertTrue(refused.getMessage().contains("nothing was restored"), refused.getMessage());
                assertEquals(List.of((int) squatter.pid()), processesIn(m, "b"), "nothing but the squatter runs in b");
                assertArrayEquals(sealed, sha256(bundle), "the bundle is untouched");
                assertEquals(List.of(), imageDirs(m), "no unpacked images are left");
                assertFalse(Workloads.isRunning(m.workloads().get("echo")));

                Cli restore = cli(m, "ckpt", "restore", "--in", bundle.toString(), "--netns", m.host("a").nsName());
                System.out.print(restore.out());
                assertTrue(restore.out().startsWith("echo restored as PID "), restore.out());
                assertFalse(nftTables(m, "a").contains("CRIU-"), "CRIU's lock is gone: " + nftTables(m, "a"));
                assertEquals("no CRIU lock is held here for echo", cli(m, "ckpt", "unlock", "echo").out().strip());

                m.awaitEchoed(readAtDump + RATE, WAIT);
                assertContinued(m, w, linesAtDump);
                assertDrainedByteExact(m, m.service("a")); // its retransmissions backed off while locked: a long gap
            } finally {
                end(squatter);
            }
        }
    }

    /**
     * A move whose restore is refused on b (a squatter listens on b:7000) puts the workload back on a from the
     * bundle and the peer's socket back as it was: the move fails with a message that says so, and the stream goes
     * on byte-exact with no RST, as if nothing had happened but a pause.
     */
    @Test
    void aMoveWhoseRestoreIsRefusedPutsTheWorkloadBackOnItsSourceAndThePeerStreamsOn() throws Exception {
        try (ProcessMigrationScenario m = ProcessMigrationScenario.start(RATE)) {
            Workload w = m.workloads().get(WORKLOAD);
            EndpointProcess peer = m.peer();
            Process squatter = squatOnB(m);
            try {
                m.awaitEchoed(RATE / 2, WAIT);
                long readBefore = peer.stats().read();
                int linesBefore = outputOf(w).size();

                ProcessMigrationScenario.MoveFailedException failed =
                        assertThrows(ProcessMigrationScenario.MoveFailedException.class, () -> m.migrate("a", "b"));
                System.out.println("move refused: " + failed.getMessage());
                assertTrue(failed.getMessage().startsWith("moving echo from a to b failed at restore: "),
                        failed.getMessage());
                assertTrue(failed.getMessage().contains("port 7000 is already in use"), failed.getMessage());
                assertTrue(failed.getMessage().endsWith("it runs on a again (pid "
                        + m.workloads().get("echo").rootPid() + ")"), failed.getMessage());
                assertEquals(m.host("a").nsName(), m.workloads().get("echo").netns(), "the workload is recorded in a");
                assertTrue(Workloads.isRunning(m.workloads().get("echo")), "and runs there");
                assertEquals(List.of((int) squatter.pid()), processesIn(m, "b"), "nothing but the squatter runs in b");
                assertEquals(List.of(), imageDirs(m), "no images are left");
                try (Stream<Path> files = Files.list(m.home())) {
                    assertEquals(List.of(), files.filter(f -> f.toString().endsWith(".bundle")).toList(),
                            "the bundle is deleted once the workload runs again");
                }

                m.awaitEchoed(readBefore + RATE, WAIT);
                assertContinued(m, w, linesBefore);
                assertCounting(awaitTicks(w, ticks(w).size(), 5));
                assertNothingResent(assertDrainedByteExact(m, m.service("a")));
            } finally {
                end(squatter);
            }
        }
    }

    @ParameterizedTest(name = "a throwing {0} hook")
    @ValueSource(strings = {"pre-dump", "post-dump"})
    void aDumpThatFailsLeavesTheWorkloadRunningWithItsConnectionAndNoImages(String hook) throws Exception {
        try (ProcessMigrationScenario m = ProcessMigrationScenario.start(RATE)) {
            Workload w = m.workloads().get(WORKLOAD);
            m.awaitEchoed(RATE / 2, WAIT);
            Hooks refusing = new Hooks() {
                @Override
                public void reached(String point, long pid) {
                    if (point.equals(hook)) throw new IllegalStateException("the gateway refused at " + hook);
                }
            };

            long readBefore = m.peer().stats().read();
            int ticksBefore = ticks(w).size();
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> m.checkpointer().checkpoint("echo", false, refusing));
            System.out.println(hook + ": " + e.getMessage());
            assertTrue(e.getMessage().contains("dump of echo failed, it keeps running"), e.getMessage());
            assertTrue(e.getMessage().contains("the gateway refused at " + hook), e.getMessage());
            assertTrue(Workloads.isRunning(w), "the workload still runs as PID " + w.rootPid());
            assertEquals(List.of(), imageDirs(m), "no images are left behind");
            assertFalse(nftTables(m, "a").contains("CRIU-"), "no CRIU lock is left: " + nftTables(m, "a"));

            assertCounting(awaitTicks(w, ticksBefore, 5));
            m.awaitEchoed(readBefore + RATE, WAIT);
            assertDrainedByteExact(m, m.service("a"));
        }
    }

    @Test
    void aTamperedBundleIsRefusedBeforeAnythingIsRestoredAndTheOriginalThenRestores() throws Exception {
        try (ProcessMigrationScenario m = ProcessMigrationScenario.create()) {
            Workload w = m.startEchoCounter("echo", "a");
            awaitTicks(w, 0, 3);
            Dumped dump = m.checkpointer().checkpoint("echo", true, Hooks.NONE);
            int linesAtDump = outputOf(w).size();
            Path bundle = home.resolve("echo.bundle");
            try (OutputStream out = Files.newOutputStream(bundle)) {
                m.checkpointer().seal(dump, out, Hooks.NONE);
            }
            m.checkpointer().release(dump);
            Path tampered = home.resolve("tampered.bundle");
            byte[] bytes = Files.readAllBytes(bundle);
            bytes[bytes.length / 2] ^= 0x01;
            Files.write(tampered, bytes);

            BundleException refused;
            try (InputStream in = Files.newInputStream(tampered)) {
                refused = assertThrows(BundleException.class,
                        () -> m.checkpointer().restore(m.restoreRequest("a", "b"), in, Hooks.NONE));
            }
            System.out.println("refused: " + refused.getMessage());
            assertEquals(BundleException.Reason.TAMPERED, refused.reason(), refused.getMessage());
            assertEquals(List.of(), processesIn(m, "b"), "nothing was started in b");
            assertEquals(List.of(), imageDirs(m), "no images are left behind");
            assertFalse(Workloads.isRunning(m.workloads().get("echo")));

            RestoreReport restored;
            try (InputStream in = Files.newInputStream(bundle)) {
                restored = m.checkpointer().restore(m.restoreRequest("a", "b"), in, Hooks.NONE);
            }
            System.out.println("restored: " + restored);
            assertEquals(m.host("b").nsName(), m.workloads().get("echo").netns());
            assertContinued(m, w, linesAtDump);
            assertEquals(5, EchoRoundTrip.bytes(m.host("peer"), m.service("b"), 5), "the restored EchoCounter serves on b");
        }
    }

    /** The operator's path, all through the CLI (in this JVM, its state directory given by baton.home). */
    @Test
    void theCliRunsAWorkloadDumpsItAndRestoresItOnAnotherHostWherePsShowsItServing() throws Exception {
        try (ProcessMigrationScenario m = ProcessMigrationScenario.create()) {
            List<String> run = new ArrayList<>(List.of("run", "--name", "echo", "--netns", m.host("a").nsName(), "--"));
            run.addAll(ProcessMigrationScenario.echoCounterCommand());
            Cli started = cli(m, run.toArray(String[]::new));
            assertTrue(started.out().startsWith("echo running as PID "), started.out());
            Workload w = m.workloads().get("echo");
            ProcessMigrationScenario.awaitListening(w);

            JsonNode before = psEntry(m, "echo");
            assertTrue(before.get("running").asBoolean(), before.toString());
            assertEquals(m.host("a").nsName(), before.get("netns").asText());
            assertEquals(w.rootPid(), before.get("pid").asLong());
            assertListens(before);

            Path bundle = home.resolve("echo.bundle");
            Cli dump = cli(m, "ckpt", "dump", "--name", "echo", "--out", bundle.toString());
            int linesAtDump = outputOf(w).size();
            System.out.print(dump.out());
            assertTrue(dump.out().startsWith("echo (pid " + w.rootPid() + ") dumped into " + bundle), dump.out());
            assertFalse(psEntry(m, "echo").get("running").asBoolean(), "gone from a once dumped");

            Cli restore = cli(m, "ckpt", "restore", "--in", bundle.toString(), "--netns", m.host("b").nsName(),
                    "--rewrite", m.host("a").address().getHostAddress() + "=" + m.host("b").address().getHostAddress());
            System.out.print(restore.out());
            assertTrue(restore.out().startsWith("echo restored as PID "), restore.out());

            JsonNode after = psEntry(m, "echo");
            assertTrue(after.get("running").asBoolean(), after.toString());
            assertEquals(m.host("b").nsName(), after.get("netns").asText());
            assertNotEquals(w.rootPid(), after.get("pid").asLong(), "a new root PID on this host");
            assertListens(after);
            assertContinued(m, w, linesAtDump);
            assertEquals(5, EchoRoundTrip.bytes(m.host("peer"), m.service("b"), 5), "the restored EchoCounter serves on b");

            Cli unlock = cli(m, "ckpt", "unlock", "echo");
            System.out.print(unlock.out());
            assertTrue(unlock.out().startsWith("released nft table inet CRIU-"), "the dump's lock on a is released: "
                    + unlock.out());
            assertFalse(nftTables(m, "a").contains("CRIU-"), "no CRIU lock is left on a: " + nftTables(m, "a"));
            assertEquals("echo stopped", cli(m, "stop", "echo").out().strip());
            assertFalse(psEntry(m, "echo").get("running").asBoolean());
        }
    }

    /**
     * The operator's path with a live connection, all through the CLI: dump (CRIU's lock holds the connection on
     * a), restore on b with the address rewritten and {@code --peer}: the peer's socket is re-pointed in place right
     * before CRIU restores, so the restored socket's first segments meet a socket that expects them; then unlock a.
     */
    @Test
    void theCliMovesAWorkloadWithItsLiveConnectionAndThePeerFollowsInPlace() throws Exception {
        try (ProcessMigrationScenario m = ProcessMigrationScenario.start(RATE)) {
            Workload w = m.workloads().get(WORKLOAD);
            EndpointProcess peer = m.peer();
            m.awaitEchoed(RATE / 2, WAIT);
            Path bundle = home.resolve("echo.bundle");

            cli(m, "ckpt", "dump", "--name", "echo", "--out", bundle.toString());
            int linesAtDump = outputOf(w).size();
            long readBefore = peer.stats().read();
            Cli restore = cli(m, "ckpt", "restore", "--in", bundle.toString(), "--netns", m.host("b").nsName(),
                    "--rewrite", m.host("a").address().getHostAddress() + "=" + m.host("b").address().getHostAddress(),
                    "--peer", Integer.toString(peer.pid()));
            System.out.print(restore.out());
            assertTrue(restore.out().contains("1 peer connection(s) re-pointed in place at the new address"),
                    restore.out());
            cli(m, "ckpt", "unlock", "echo");

            m.awaitEchoed(readBefore + RATE, WAIT);
            assertContinued(m, w, linesAtDump);
            assertDrainedByteExact(m, m.service("b"));
            assertFalse(nftTables(m, "a").contains("CRIU-"), "no CRIU lock is left on a");
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * Runs {@code baton ARGS} in this JVM with the lab's state directory and keys, and expects it to succeed.
     * The property is set only for the call: nothing else in this JVM sees it.
     */
    private static Cli cli(ProcessMigrationScenario m, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (args[0].equals("ckpt") && (args[1].equals("dump") || args[1].equals("restore"))) {
            all.addAll(List.of("--keys", m.keysDir().toString()));
        }
        System.setProperty(BatonHome.PROPERTY, m.home().toString());
        try {
            Cli r = Cli.run(all.toArray(String[]::new));
            assertEquals(0, r.exitCode(), "baton " + String.join(" ", args) + ": " + r.err());
            return r;
        } finally {
            System.clearProperty(BatonHome.PROPERTY);
        }
    }

    /** EchoCounter listens on the wildcard address, port 7000 (a JVM's dual-stack socket shows as [::]). */
    private static void assertListens(JsonNode ps) {
        assertEquals(1, ps.get("listening").size(), ps.toString());
        String listening = ps.get("listening").get(0).asText();
        assertTrue(listening.equals("0.0.0.0:7000") || listening.equals("[0:0:0:0:0:0:0:0]:7000"), ps.toString());
    }

    private static JsonNode psEntry(ProcessMigrationScenario m, String name) throws IOException {
        JsonNode all = new ObjectMapper().readTree(cli(m, "ps", "--json").out());
        for (JsonNode n : all) {
            if (n.get("name").asText().equals(name)) return n;
        }
        throw new AssertionError("baton ps does not list " + name + ": " + all);
    }

    /**
     * The workload's ticks go on from where the dump froze them: the first tick after the restore follows the last
     * one before it, the count never restarts, and the echoed counter keeps growing (or holds, without a peer).
     */
    private static void assertContinued(ProcessMigrationScenario m, Workload w, int outputLinesAtDump)
            throws Exception {
        ProcessMigrationScenario.Continuity c = m.continuity(w.name(), outputLinesAtDump);
        assertTrue(c.continued(), "the first tick after the restore " + c.firstAfter()
                + " is the one after the last before the dump " + c.lastBefore());
        assertCounting(awaitTicks(w, ticks(outputOf(w).subList(0, outputLinesAtDump)).size(), 5));
        assertStartedOnce(w);
    }

    /** Ticks go 0, 1, 2, … without a restart (back to 0) or a jump, and echoed never goes back. */
    private static void assertCounting(List<Tick> ticks) {
        assertTrue(ProcessMigrationScenario.countsOn(ticks), "tick numbers count on without restarting, echoed "
                + "never goes back: " + ticks);
    }

    private static void assertStartedOnce(Workload w) {
        assertTrue(ProcessMigrationScenario.startedOnce(w), "EchoCounter started once: it was moved, never restarted");
    }

    /** The PIDs of the processes whose network namespace is {@code host}'s. */
    private static List<Integer> processesIn(ProcessMigrationScenario m, String host) {
        Path ns = m.host(host).netns().path();
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
    private static String nftTables(ProcessMigrationScenario m, String host) {
        return m.host(host).netns().exec(null, "nft", "list", "tables").strip();
    }

    /** The directories under the images root (dumps kept, bundles being unpacked). */
    private static List<Path> imageDirs(ProcessMigrationScenario m) throws IOException {
        if (!Files.exists(m.imagesRoot())) return List.of();
        try (Stream<Path> s = Files.list(m.imagesRoot())) {
            return s.toList();
        }
    }

    /** The peer still has the same socket on the same fd, aimed where it should be, established. */
    private static void assertSamePeerSocket(int pid, SocketEntry before, InetSocketAddress aimedAt) {
        SocketEntry now = peerConnection(pid);
        assertEquals(before.fd(), now.fd(), "same fd");
        assertEquals(before.inode(), now.inode(), "same socket");
        assertEquals(before.local(), now.local(), "same local end");
        assertEquals(aimedAt, now.remote());
        assertEquals(TcpState.ESTABLISHED, now.state());
    }

    private static void assertCleanWire(WireReport wire, long bytesToPeer) {
        System.out.println("wire at the peer: " + wire.summary());
        assertEquals(0, wire.rstCount(), "no RST on the wire: " + wire);
        assertEquals(0, wire.toPeer().unfilledHoleBytes() + wire.fromPeer().unfilledHoleBytes(), "no hole: " + wire);
        assertTrue(wire.toPeer().payloadBytes() >= bytesToPeer, "the wire carried the whole stream: " + wire);
    }

    /**
     * Stops the checked peer's writer and checks the end of its stream: the whole echo came back byte for byte, on
     * the socket it started with, aimed at {@code aimedAt}, and the wire shows no RST and no hole. Returns the audit.
     */
    private static WireReport assertDrainedByteExact(ProcessMigrationScenario m, InetSocketAddress aimedAt)
            throws Exception {
        EndpointProcess.Stats end = m.drain(WAIT);
        System.out.printf("peer's longest read gap %.1f ms%n", end.longestGapMs());
        assertTrue(end.clean(), "the whole echoed stream came back byte for byte: " + end);
        assertSamePeerSocket(m.peer().pid(), m.peerSocket(), aimedAt);
        WireReport wire = m.audit();
        assertCleanWire(wire, end.read());
        return wire;
    }

    /**
     * The re-pointed peer sent nothing twice: its send queue was trimmed to what the image had received. (Towards
     * the peer, the workload may retransmit once while the hold drops the peer's ACKs before the dump; the peer's
     * kernel discards that copy — the byte-exact streams show nothing is delivered twice.)
     */
    private static void assertNothingResent(WireReport wire) {
        assertEquals(0, wire.fromPeer().duplicates(), "the peer re-sent nothing the workload had: " + wire);
    }

    private static boolean hasConnection(int pid) {
        try (ProcessSockets p = ProcessSockets.open(pid)) {
            return p.list().stream().anyMatch(e -> e.state() == TcpState.ESTABLISHED);
        }
    }

    /** Starts socat listening on b:7000 — a restore onto b then finds the port taken — and waits until it does. */
    private static Process squatOnB(ProcessMigrationScenario m) throws Exception {
        Process squatter = new ProcessBuilder(m.host("b").command("socat", "TCP-LISTEN:7000,reuseaddr", "STDIO"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            ProcessMigrationScenario.await("the squatter to listen on b:7000", Duration.ofSeconds(10),
                    () -> listens((int) squatter.pid()));
            return squatter;
        } catch (Exception | Error e) {
            end(squatter);
            throw e;
        }
    }

    private static boolean listens(int pid) {
        try (ProcessSockets p = ProcessSockets.open(pid)) {
            return p.list().stream().anyMatch(e -> e.state() == TcpState.LISTEN);
        }
    }

    private static void awaitSize(Path file, long bytes) throws InterruptedException {
        ProcessMigrationScenario.await(file.getFileName() + " to reach " + bytes + " bytes", Duration.ofSeconds(20),
                () -> size(file) >= bytes);
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }

    private static byte[] sha256(Path file) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
        }
        return d.digest();
    }

    /** Ends a process we started, by its own handle. */
    private static void end(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(2, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
