package dev.baton.e2e;

import dev.baton.demo.GatewayLab;

import dev.baton.ckpt.workload.Workloads;
import dev.baton.demo.ProcessMigrationScenario;
import dev.baton.netns.NetNamespace;
import dev.baton.e2e.GatewayPeers.Conn;
import dev.baton.e2e.GatewayPeers.Kind;
import dev.baton.gateway.migrate.MigrationView;
import dev.baton.gateway.proxy.FlowView;
import dev.baton.socket.StateJson;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Migrations behind the gateway that go wrong, each with a real fault: the outcome is the one documented for it —
 * the connections alive on a with every byte, or ended as stated — and nothing is left behind: no hold or CRIU
 * lock table in the gateway's, a's or b's namespace, no images, the workload running exactly once.
 */
@Tag("privileged")
class GatewayFaultsTest {
    private static final int RATE = 200_000;

    @RegisterExtension
    final GatewayLabPerTest labs = new GatewayLabPerTest();
    private GatewayLab stage;

    @BeforeEach
    void lab() {
        stage = labs.lab();
    }

    /**
     * b's agent runs as a process and is killed (SIGKILL) the moment CRIU starts restoring there — the restore's
     * log appears in b's images. The ship fails, agent a restores the workload from its kept dump, the gateway
     * aims its sockets back at a and thaws: the peers' streams go on byte-exact.
     */
    @Test
    void whenTheTargetAgentDiesMidRestoreTheWorkloadIsRestoredOnAAndTheStreamsGoOn() throws Exception {
        GatewayLab.AgentProcess agentB = stage.startAgentProcess("b");
        stage.startPythonWorkload();
        stage.startGateway();
        GatewayPeers peers = streaming();

        AtomicLong killedAt = new AtomicLong();
        Thread killer = Thread.ofPlatform().daemon().name("kill agent b").start(() -> {
            try {
                while (!restoreStarted(stage.images("b"))) Thread.sleep(1);
                agentB.kill();
                killedAt.set(System.nanoTime());
            } catch (Exception e) {
                // interrupted: the migration ended first
            }
        });
        GatewayLab.Migrated m;
        try {
            m = stage.migrate("b");
        } finally {
            killer.interrupt();
            killer.join(5_000);
        }
        System.out.println(m.view() == null ? m.err() : GatewayLab.figures(m.view()));
        assertTrue(killedAt.get() > 0, "agent b was killed while restoring");
        assertEquals(1, m.exitCode(), m.err());
        assertEquals(MigrationView.Status.ROLLED_BACK, m.view().status(), m.view().toString());

        assertServedBy("a", peers);
        assertTrue(Workloads.isRunning(stage.workload("a")), "the workload runs on a again");
        assertStreamsGoOn(peers);
        // The killed agent's half-unpacked bundle stays in b's images (incoming-*, and CRIU's output beside it)
        // until an agent starts there again; everything else is gone.
        List<String> left = stage.leftovers();
        assertTrue(left.stream().allMatch(l -> l.startsWith("b's images: incoming-")), "only b's incoming images: " + left);

        stage.startAgentProcess("b");
        assertEquals(List.of(), stage.leftovers(), "the restarted agent swept what its predecessor left");
        stage.migrateOk("b");
        assertServedBy("b", peers);
        assertStreamsGoOnAndEndClean(peers);
    }

    /**
     * The bundle is corrupted on its way from a's agent to b's: the gateway's config names a relay in b's namespace
     * as b's agent, and the relay flips one bit of the stream a → b once 256 KiB have passed (past the TLS
     * handshake and the request: inside the bundle). TLS catches it first — the record's authentication tag does
     * not verify, b's agent drops the connection — before the bundle's own sealing would have. The ship fails
     * before anything is restored on b; a restores the workload from its kept dump and the streams go on.
     */
    @Test
    void aBundleCorruptedInTransitIsRefusedByTlsAndTheWorkloadIsRestoredOnA() throws Exception {
        InetSocketAddress relayAt = new InetSocketAddress(stage.lab.host("b").address(), 7442);
        try (CorruptingRelay relay = CorruptingRelay.start(stage.lab.host("b").netns(), relayAt,
                stage.agentAddress("b"), 256 << 10)) {
            stage.agentInConfig("b", relayAt);
            GatewayLab.AgentProcess agentB = stage.startAgentProcess("b"); // its log tells who caught it
            stage.startPythonWorkload();
            stage.startGateway();
            GatewayPeers peers = streaming();

            GatewayLab.Migrated m = stage.migrate("b");
            System.out.println(m.view() == null ? m.err() : GatewayLab.figures(m.view()));
            assertTrue(relay.flipped(), "the relay corrupted the stream to b");
            assertEquals(1, m.exitCode(), m.err());
            assertEquals(MigrationView.Status.ROLLED_BACK, m.view().status(), m.view().toString());
            assertTrue(m.view().error().contains("restored on a"), m.view().error());
            assertTrue(Files.readString(agentB.log()).contains("bad_record_mac"),
                    "b's TLS refused the corrupted record (bad_record_mac): " + Files.readString(agentB.log()));

            assertServedBy("a", peers);
            assertFalse(stage.workloads.get("b").find(GatewayLab.WORKLOAD).isPresent(), "nothing was restored on b");
            assertStreamsGoOnAndEndClean(peers);
            assertEquals(List.of(), stage.leftovers());
        }
    }

    /**
     * Something already listens on the workload's port on b (socat): the gateway refuses the migration when it
     * plans it, naming the port, and touches nothing — no migration starts, no flow is frozen, the streams do not
     * pause. Once the port is free, the same migration goes through.
     */
    @Test
    void aMigrationToAHostWhosePortIsTakenIsRefusedAtPlanTimeAndNothingIsTouched() throws Exception {
        stage.startPythonWorkload();
        stage.startGateway();
        GatewayPeers peers = streaming();
        Process socat = new ProcessBuilder(stage.lab.host("b").command("socat",
                "TCP-LISTEN:" + GatewayLab.PORT + ",reuseaddr,fork", "EXEC:cat"))
                .redirectErrorStream(true).redirectOutput(stage.home.resolve("socat.log").toFile()).start();
        try {
            awaitListening("b", GatewayLab.PORT);
            GatewayLab.Migrated m = stage.migrate("b");
            System.out.println("refused: " + m.err().strip());
            assertEquals(1, m.exitCode());
            assertNull(m.view(), "no migration view: it never started");
            String where = stage.lab.host("b").address().getHostAddress() + ":" + GatewayLab.PORT;
            assertTrue(m.err().contains("port taken on b") && m.err().contains(where), m.err());
            assertEquals(List.of(), stage.migrations(), "no migration was started");
            assertTrue(stage.flows().stream().allMatch(f -> f.state() == dev.baton.gateway.proxy.Flow.State.OPEN),
                    "no flow was frozen: " + stage.flows());
        } finally {
            socat.destroy();
            socat.waitFor();
        }
        List<Conn> after = assertStreamsGoOn(peers);
        System.out.printf("longest read gap of the streaming peers around the refusal: %.1f ms%n",
                after.stream().filter(c -> c.kind() == Kind.BULK).mapToDouble(Conn::gapMs).max().orElse(0));
        assertServedBy("a", peers);

        stage.migrateOk("b");
        assertServedBy("b", peers);
        assertStreamsGoOnAndEndClean(peers);
        assertEquals(List.of(), stage.leftovers());
    }

    /**
     * The gateway process is restarted between two migrations. The connections it held end with it (documented:
     * the gateway is the peers' end of the TCP connection; stopping it closes that end — each peer reads EOF, or a
     * RST when it was still sending — after a correct prefix of its echo). The restarted gateway reads its state file and sends new connections to b, where the
     * workload is now, and the next migration moves them back to a.
     */
    @Test
    void afterAGatewayRestartNewConnectionsGoWhereTheWorkloadIsAndTheNextMigrationWorks() throws Exception {
        stage.startPythonWorkload();
        stage.startGateway();
        GatewayPeers before = streaming();
        stage.migrateOk("b");
        assertServedBy("b", before);

        stage.stopGateway();
        // The gateway closes its end: a peer reads EOF, or a RST when it was still writing as the socket closed
        // (then its writes fail too); what it read up to then must be its echo.
        List<Conn> ended = before.await("every connection held by the old gateway ended", Duration.ofSeconds(20),
                c -> c.eof() || c.failure() != null, c -> c.mismatchAt() < 0);
        System.out.println("held by the stopped gateway: " + ended);
        stage.startGateway();

        GatewayPeers after = streaming();
        assertServedBy("b", after);
        stage.migrateOk("a");
        assertServedBy("a", after);
        assertStreamsGoOnAndEndClean(after);
        assertEquals(List.of(), stage.leftovers());
    }

    /**
     * CRIU cannot dump the workload: it holds a file lock (flock), which CRIU refuses to dump unless told to. The
     * dump fails on a with CRIU's reason, the workload never stopped running there, the gateway lifts its hold and
     * thaws every flow on a: the streams go on byte-exact.
     */
    @Test
    void whenTheDumpFailsOnATheFlowsThawThereAndLoseNothing() throws Exception {
        stage.startPythonWorkload("--lock", stage.home.resolve("held.lock").toString());
        stage.startGateway();
        GatewayPeers peers = streaming();

        GatewayLab.Migrated m = stage.migrate("b");
        System.out.println(m.view() == null ? m.err() : GatewayLab.figures(m.view()));
        assertEquals(1, m.exitCode(), m.err());
        assertEquals(MigrationView.Status.ROLLED_BACK, m.view().status(), m.view().toString());
        assertTrue(m.view().error().contains("dump on a failed"), m.view().error());

        assertServedBy("a", peers);
        assertTrue(ProcessMigrationScenario.startedOnce(stage.workload("a")), "the workload never restarted");
        assertTrue(ProcessMigrationScenario.countsOn(ProcessMigrationScenario.ticks(stage.workload("a"))),
                "its counters went on");
        assertStreamsGoOnAndEndClean(peers);
        assertEquals(List.of(), stage.leftovers());
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Three checked connections through the gateway: two streaming echoes and an idle one. */
    private GatewayPeers streaming() throws Exception {
        GatewayPeers peers = GatewayPeers.start(stage);
        peers.open(Kind.BULK, 2, RATE);
        peers.open(Kind.IDLE, 1);
        peers.await("the echo flows", Duration.ofSeconds(10), c -> c.kind() != Kind.BULK || c.read() > 0);
        Thread.sleep(300);
        return peers;
    }

    private void awaitListening(String host, int port) throws Exception {
        for (int i = 0; i < 500; i++) {
            if (!stage.lab.host(host).netns().exec(null, "ss", "-Htln", "sport = :" + port).isBlank()) return;
            Thread.sleep(10);
        }
        fail("nothing listens on " + host + ":" + port);
    }

    private static boolean restoreStarted(Path images) throws Exception {
        if (!Files.isDirectory(images)) return false;
        try (Stream<Path> dirs = Files.list(images)) {
            return dirs.anyMatch(d -> Files.exists(d.resolve("restore.log")));
        }
    }

    /** Every flow's upstream is the workload's port on {@code host}. */
    private void assertServedBy(String host, GatewayPeers peers) throws Exception {
        InetSocketAddress at = new InetSocketAddress(stage.lab.host(host).address(), GatewayLab.PORT);
        List<FlowView> flows = stage.flows();
        assertEquals(peers.stats().size(), flows.size(), "every connection still has its flow: " + flows);
        for (FlowView f : flows) assertEquals(StateJson.format(at), f.upstreamRemote(), "served by " + host + ": " + f);
    }

    /** The echo streams on, the idle connection answers, and every connection then ends after its last byte. */
    private static void assertStreamsGoOnAndEndClean(GatewayPeers peers) throws Exception {
        List<Conn> after = assertStreamsGoOn(peers);
        List<Integer> all = new ArrayList<>();
        for (Conn c : after) all.add(c.id());
        peers.finish(all);
        peers.await("every connection ended after its last byte", Duration.ofSeconds(20), Conn::complete);
    }

    /** The echo streams on and the idle connection answers, every byte as sent. */
    private static List<Conn> assertStreamsGoOn(GatewayPeers peers) throws Exception {
        List<Conn> before = peers.stats();
        Thread.sleep(500);
        peers.ping();
        List<Conn> after = peers.stats();
        for (int i = 0; i < before.size(); i++) {
            Conn b = before.get(i), a = after.get(i);
            assertTrue(a.clean(), "no bad byte: " + a);
            if (a.kind() == Kind.BULK) assertTrue(a.read() > b.read(), "the echo goes on: " + b + " then " + a);
        }
        peers.await("the idle connection's ping came back", Duration.ofSeconds(10),
                c -> c.kind() != Kind.IDLE || c.read() == c.written());
        return after;
    }

    /**
     * A TCP relay in one namespace that flips one bit of the client → server stream at byte {@code flipAt} of any
     * connection that gets that far: corruption in transit, below TLS.
     */
    private static final class CorruptingRelay implements AutoCloseable {
        private final ServerSocket server;
        private final NetNamespace netns;
        private final InetSocketAddress target;
        private final long flipAt;
        private final AtomicBoolean flipped = new AtomicBoolean();
        private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

        private CorruptingRelay(ServerSocket server, NetNamespace netns, InetSocketAddress target, long flipAt) {
            this.server = server;
            this.netns = netns;
            this.target = target;
            this.flipAt = flipAt;
        }

        static CorruptingRelay start(NetNamespace netns, InetSocketAddress listen, InetSocketAddress target,
                                     long flipAt) throws Exception {
            ServerSocket server = netns.call(() -> new ServerSocket(listen.getPort(), 50, listen.getAddress()));
            CorruptingRelay relay = new CorruptingRelay(server, netns, target, flipAt);
            Thread.ofPlatform().daemon().name("relay accept").start(relay::acceptLoop);
            return relay;
        }

        boolean flipped() {
            return flipped.get();
        }

        private void acceptLoop() {
            try {
                while (true) {
                    Socket client = server.accept();
                    Socket upstream = netns.call(() -> new Socket(target.getAddress(), target.getPort()));
                    sockets.add(client);
                    sockets.add(upstream);
                    Thread.ofPlatform().daemon().name("relay up").start(() -> pump(client, upstream, true));
                    Thread.ofPlatform().daemon().name("relay down").start(() -> pump(upstream, client, false));
                }
            } catch (Exception closed) {
                // the relay was closed
            }
        }

        private void pump(Socket from, Socket to, boolean corrupt) {
            byte[] buf = new byte[16 << 10];
            long offset = 0;
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (corrupt && offset <= flipAt && flipAt < offset + n && flipped.compareAndSet(false, true)) {
                        buf[(int) (flipAt - offset)] ^= 0x01;
                    }
                    offset += n;
                    out.write(buf, 0, n);
                }
                to.shutdownOutput();
            } catch (IOException e) {
                closeQuietly(from);
                closeQuietly(to);
            }
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) closeQuietly(s);
        }
    }
}
