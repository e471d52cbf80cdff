package dev.baton.e2e;

import dev.baton.demo.GatewayLab;

import dev.baton.demo.PacedFeeder;

import dev.baton.ckpt.agent.DumpReport;
import dev.baton.ckpt.agent.DumpRequest;
import dev.baton.ckpt.agent.HostHealth;
import dev.baton.ckpt.agent.HostService;
import dev.baton.ckpt.agent.Hooks;
import dev.baton.ckpt.agent.RestoreReport;
import dev.baton.ckpt.agent.RestoreRequest;
import dev.baton.ckpt.agent.SendQueueSync;
import dev.baton.ckpt.agent.SyncedSendQueue;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.WorkloadStatus;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.demo.EndpointProcess;
import dev.baton.demo.ProcessMigrationScenario;
import dev.baton.e2e.GatewayPeers.Conn;
import dev.baton.e2e.GatewayPeers.Kind;
import dev.baton.gateway.migrate.MigrationView;
import dev.baton.gateway.proxy.Flow;
import dev.baton.gateway.proxy.FlowView;
import dev.baton.socket.StateJson;
import dev.baton.socket.audit.WireAudit;
import dev.baton.socket.audit.WireCapture;
import dev.baton.socket.audit.WireReport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The mission: a running server with a live client connection moves between hosts with different IPs behind the
 * gateway, and the client — which only knows the gateway — keeps its connection and loses nothing.
 */
@Tag("privileged")
class GatewayMigrationTest {
    private static final byte[] ECHO_HEADER = "ECHO\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final long STOCK_STREAM = 77;

    @RegisterExtension
    final GatewayLabPerTest labs = new GatewayLabPerTest();
    private GatewayLab stage;

    @BeforeEach
    void lab() {
        stage = labs.lab();
    }

    @Test
    void aLiveConnectionFollowsTheWorkloadABAB() throws Exception {
        Workload first = stage.startWorkload();
        stage.startGateway();
        EndpointProcess peer = stage.connectPeer(200_000);
        Thread.sleep(500);

        String at = "a";
        for (String to : List.of("b", "a", "b")) {
            GatewayLab.Migrated m = stage.migrate(to);
            assertEquals(0, m.exitCode(), m.err() + " " + m.view() + "\n" + stage.gatewayLog());
            assertEquals(MigrationView.Status.SUCCEEDED, m.view().status());
            System.out.printf("%s -> %s: %s%n", at, to, m.view().result());
            m.view().events().forEach(e -> System.out.printf("   %8.1f %-9s %s%n", e.atMs(), e.phase(), e.message()));
            Workload w = stage.workload(to);
            assertTrue(Workloads.isRunning(w), "runs on " + to);
            assertFalse(Workloads.isRunning(stage.workload(at)), "gone from " + at);
            at = to;
            Thread.sleep(500);
        }
        Workload last = stage.workload(at);
        assertTrue(ProcessMigrationScenario.countsOn(ProcessMigrationScenario.awaitTicks(last,
                ProcessMigrationScenario.ticks(last).size(), 2)), "the counters went on from memory");
        assertTrue(ProcessMigrationScenario.startedOnce(last), "never restarted");
        EndpointProcess.Stats before = peer.stats();
        Thread.sleep(500);
        EndpointProcess.Stats stats = peer.stats();
        assertTrue(stats.clean(), stats.toString());
        assertTrue(stats.read() > before.read(), "the echo still flows: " + before + " then " + stats);
        assertFalse(Workloads.isRunning(first), "the original process is gone: the workload moved, it was not copied");
        assertEquals(List.of(), stage.leftovers());
    }

    /**
     * An unmodified Debian tool as the peer: {@code socat - TCP:gateway:9000}, its standard input fed at a steady
     * rate, its standard output to a file. The workload echoes; after a → b → a the input ends, socat half-closes,
     * reads the rest and exits 0 — and its output is what it was fed, byte for byte. On the wire between socat
     * and the gateway: no RST, no hole.
     */
    @Test
    void anUnmodifiedSocatPeerGetsBackEveryByteItSentAcrossAToBToA() throws Exception {
        stage.startPythonWorkload();
        stage.startGateway();
        Path pcap = stage.home.resolve("socat.pcap");
        Path out = stage.home.resolve("socat.out");
        WireCapture wire = WireCapture.start(stage.lab.host("peer").netns(), "eth0",
                "tcp port " + GatewayLab.SERVICE_PORT, pcap);
        Process socat = new ProcessBuilder(stage.lab.host("peer").command("socat", "-t", "10", "-",
                "TCP:" + StateJson.format(stage.service())))
                .redirectOutput(out.toFile()).redirectError(stage.home.resolve("socat.err").toFile()).start();
        long fed;
        try {
            PacedFeeder feeder = new PacedFeeder("socat", socat.getOutputStream(), 100_000,
                    GatewayMigrationTest::stockStream, null);
            try {
                Thread.sleep(500);
                stage.migrateOk("b");
                Thread.sleep(500);
                stage.migrateOk("a");
                Thread.sleep(500);
            } finally {
                feeder.stop();
            }
            assertNull(feeder.failure, "feeding socat's stdin");
            fed = feeder.fed.get();
            socat.getOutputStream().close(); // socat half-closes, reads the rest of the echo, exits
            assertTrue(socat.waitFor(20, TimeUnit.SECONDS), "socat exited after the echo's end");
            assertEquals(0, socat.exitValue(), Files.readString(stage.home.resolve("socat.err")));
        } finally {
            if (socat.isAlive()) socat.destroyForcibly().waitFor();
            wire.close();
        }
        byte[] echoed = Files.readAllBytes(out);
        System.out.printf("socat: fed %d bytes, wrote %d to its output%n", fed, echoed.length);
        assertEquals(fed - ECHO_HEADER.length, echoed.length, "socat got back every byte after the header");
        assertTrue(echoed.length > 100_000, "the stream went on across both migrations");
        byte[] want = new byte[echoed.length];
        GatewayPeers.fill(STOCK_STREAM, 0, want, want.length);
        assertEquals(-1, Arrays.mismatch(want, echoed), "socat's output is its input, byte for byte");

        WireReport audit = WireAudit.analyze(pcap, stage.service());
        System.out.printf("wire: socat -> gateway %s | gateway -> socat %s%n", audit.toPeer().summary(),
                audit.fromPeer().summary());
        assertTrue(audit.isClean(), "no RST, no hole: " + audit);
        assertEquals(List.of(), stage.leftovers());
    }

    /** socat's input: the workload's header line, then pattern stream {@link #STOCK_STREAM}. */
    private static void stockStream(long offset, byte[] chunk) {
        int header = (int) Math.max(0, Math.min(chunk.length, ECHO_HEADER.length - offset));
        if (header > 0) System.arraycopy(ECHO_HEADER, (int) offset, chunk, 0, header);
        byte[] rest = new byte[chunk.length - header];
        GatewayPeers.fill(STOCK_STREAM, offset + header - ECHO_HEADER.length, rest, rest.length);
        System.arraycopy(rest, 0, chunk, header, rest.length);
    }

    /**
     * Peers that connect while the workload is between hosts — dumped on a, being restored on b — are accepted and
     * wait at the gateway (WAITING: not read, no upstream), their bytes held in the kernel; after the thaw they are
     * connected to b, and their streams are echoed from the start, byte-exact. B's agent opens them from the
     * restore's entry point, so they surely arrive in that window.
     */
    @Test
    void newConnectionsArrivingDuringAMigrationWaitAtTheGatewayAndAreServedByB() throws Exception {
        stage.startPythonWorkload();
        stage.startGateway();
        GatewayPeers peers = GatewayPeers.start(stage);
        List<Integer> old = peers.open(Kind.BULK, 1, 200_000);
        peers.await("the first echo flows", Duration.ofSeconds(10), c -> c.read() > 0);

        AtomicReference<List<FlowView>> duringRestore = new AtomicReference<>();
        List<Integer> arrived = new ArrayList<>();
        stage.startAgent("b", service -> new RestoreEntry(service, () -> {
            arrived.addAll(peers.open(Kind.BULK, 3, 200_000));
            arrived.addAll(peers.open(Kind.IDLE, 1));
            peers.ping(); // the idle newcomer's 64 bytes wait too
            Thread.sleep(200); // their bytes reach the gateway
            duringRestore.set(stage.flows());
        }));
        MigrationView m = stage.migrateOk("b");

        assertEquals(4, arrived.size(), "the newcomers connected while b was restoring");
        List<FlowView> waiting = duringRestore.get().stream().filter(f -> f.id() > old.size()).toList();
        assertEquals(4, waiting.size(), "the gateway had accepted them: " + duringRestore.get());
        for (FlowView f : waiting) {
            assertEquals(Flow.State.WAITING, f.state(), "a newcomer waits during the migration: " + f);
            assertNull(f.upstreamRemote(), "no upstream yet: " + f);
        }
        assertEquals(old.size(), m.result().flows(), "the migration moved the flows it froze, not the newcomers");

        InetSocketAddress onB = new InetSocketAddress(stage.lab.host("b").address(), GatewayLab.PORT);
        List<FlowView> after = stage.flows();
        assertEquals(5, after.size());
        for (FlowView f : after) assertEquals(StateJson.format(onB), f.upstreamRemote(), "served by b: " + f);
        peers.await("the newcomers' echo flows from b", Duration.ofSeconds(10),
                c -> c.kind() == Kind.IDLE ? c.read() == c.written() : c.read() > 0);
        List<Integer> all = new ArrayList<>(old);
        all.addAll(arrived);
        peers.finish(all);
        List<Conn> done = peers.await("every connection ended after its last byte", Duration.ofSeconds(20),
                Conn::complete);
        System.out.println("after: " + done);
        assertEquals(List.of(), stage.leftovers());
    }

    /** Work the test does from inside b's restore, while the migration has every flow frozen. */
    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }

    /** B's checkpoint service, running {@code atRestore} when a restore starts (before the bundle is read). */
    private record RestoreEntry(HostService inner, Action atRestore) implements HostService {
        @Override
        public RestoreReport restore(RestoreRequest request, InputStream bundle, Hooks hooks) throws IOException {
            try {
                atRestore.run();
            } catch (Exception e) {
                throw new IllegalStateException("the test's action at the restore failed", e);
            }
            return inner.restore(request, bundle, hooks);
        }

        @Override
        public HostHealth health() {
            return inner.health();
        }

        @Override
        public List<WorkloadStatus> workloads() {
            return inner.workloads();
        }

        @Override
        public DumpReport dump(DumpRequest request, OutputStream bundle, Hooks hooks) throws IOException {
            return inner.dump(request, bundle, hooks);
        }

        @Override
        public DumpReport checkpoint(DumpRequest request, Hooks hooks) throws IOException {
            return inner.checkpoint(request, hooks);
        }

        @Override
        public List<SyncedSendQueue> syncSendQueues(String dumpId, List<SendQueueSync> sync) {
            return inner.syncSendQueues(dumpId, sync);
        }

        @Override
        public long seal(String dumpId, OutputStream bundle, Hooks hooks) throws IOException {
            return inner.seal(dumpId, bundle, hooks);
        }

        @Override
        public void release(String dumpId) {
            inner.release(dumpId);
        }

        @Override
        public void commit(String dumpId) {
            inner.commit(dumpId);
        }

        @Override
        public RestoreReport rollback(String dumpId, Hooks hooks) {
            return inner.rollback(dumpId, hooks);
        }
    }
}
