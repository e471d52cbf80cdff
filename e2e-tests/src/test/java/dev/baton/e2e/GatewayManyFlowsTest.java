package dev.baton.e2e;

import dev.baton.demo.GatewayLab;

import dev.baton.ckpt.workload.Workload;
import dev.baton.demo.ProcessMigrationScenario;
import dev.baton.e2e.GatewayPeers.Conn;
import dev.baton.e2e.GatewayPeers.Kind;
import dev.baton.gateway.migrate.MigrationView;
import dev.baton.gateway.proxy.FlowView;
import dev.baton.socket.StateJson;
import dev.baton.socket.audit.WireAudit;
import dev.baton.socket.audit.WireCapture;
import dev.baton.socket.audit.WireReport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A hundred connections of every kind a real service sees — idle, bulk, stalled with data queued both ways,
 * half-closed by the peer, half-closed by the workload — follow the workload a → b → a behind the gateway: every
 * byte arrives, in order, once; no RST reaches a peer; every connection is still open afterwards, or ends exactly
 * when and how its peer asked.
 */
@Tag("privileged")
class GatewayManyFlowsTest {
    private static final int IDLE = 50, BULK_1MB = 9, BULK_5MB = 1, STALL = 2, TAIL = 18, FIRST = 20;
    /** The workload's tail after the peer's end: 20 s, across both migrations. */
    private static final long TAIL_UP = 32 << 10, TAIL_BYTES = 320 << 10, TAIL_RATE = 16 << 10;
    private static final long GREETING = 16 << 10, FIRST_RATE = 20_000;

    @RegisterExtension
    final GatewayLabPerTest labs = new GatewayLabPerTest();
    private GatewayLab stage;

    @BeforeEach
    void lab() {
        stage = labs.lab();
    }

    @Test
    void aHundredConnectionsOfEveryKindFollowTheWorkloadAToBAndBackWithEveryByteAndNoReset() throws Exception {
        stage.startPythonWorkload();
        stage.startGateway();
        GatewayPeers peers = GatewayPeers.start(stage);
        var peerNs = stage.lab.host("peer").netns();
        Path control = stage.home.resolve("control.pcap");
        Path sample = stage.home.resolve("sample.pcap");
        WireCapture handshakes = WireCapture.start(peerNs, "eth0",
                "tcp port " + GatewayLab.SERVICE_PORT + " and tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0", control);
        WireCapture wire = null;
        Map<Kind, Conn> sampled = new HashMap<>();
        try {
            List<Integer> idle = peers.open(Kind.IDLE, IDLE);
            List<Integer> bulk = new ArrayList<>(peers.open(Kind.BULK, BULK_1MB, 1_000_000));
            bulk.addAll(peers.open(Kind.BULK, BULK_5MB, 5_000_000));
            List<Integer> stall = peers.open(Kind.STALL, STALL);
            peers.open(Kind.TAIL, TAIL, TAIL_UP, TAIL_BYTES, TAIL_RATE); // they half-close at once
            List<Integer> first = peers.open(Kind.FIRST, FIRST, GREETING, FIRST_RATE);
            peers.ping();

            // Where each connection must be when the workload freezes.
            peers.await("the workload had ended its side of every FIRST connection", Duration.ofSeconds(15),
                    c -> c.kind() != Kind.FIRST || c.eof() && c.read() == c.expected());
            peers.await("every TAIL peer had its echo and tail bytes coming", Duration.ofSeconds(15),
                    c -> c.kind() != Kind.TAIL || c.read() > TAIL_UP);
            Map<Integer, Long> stalled = awaitStalled(peers);
            System.out.printf("stalled writers blocked after %s bytes each%n",
                    stalled.values().stream().distinct().sorted().toList());
            List<FlowView> before = stage.flows();
            assertEquals(100, before.size(), "one flow per connection: " + before);
            // one connection of each kind on the wire in full, for holes and duplicates
            for (Conn c : peers.stats()) sampled.putIfAbsent(c.kind(), c);
            wire = WireCapture.start(peerNs, "eth0", sampled.values().stream().map(c -> "port " + c.port())
                    .collect(Collectors.joining(" or ", "tcp port " + GatewayLab.SERVICE_PORT + " and (", ")")), sample);

            MigrationView there = stage.migrateOk("b");
            assertEquals(100, there.result().flows(), "every flow moved");
            peers.ping();
            Thread.sleep(300);
            MigrationView back = stage.migrateOk("a");

            List<FlowView> after = stage.flows();
            List<Conn> open = peers.stats();
            long tailsDone = open.stream().filter(c -> c.kind() == Kind.TAIL && c.complete()).count();
            assertTrue(back.result().flows() >= 100 - tailsDone, "every flow moved back (but TAIL ones that had "
                    + "ended, " + tailsDone + " now): " + back.result().flows());
            assertEquals(100 - tailsDone, after.size(), "every connection is still open at the gateway, but for "
                    + tailsDone + " TAIL connections that ended after their whole tail: " + after);
            InetSocketAddress onA = new InetSocketAddress(stage.lab.host("a").address(), GatewayLab.PORT);
            assertTrue(after.stream().allMatch(f -> f.upstreamRemote().equals(StateJson.format(onA))),
                    "every flow is served by a again: " + after);
            assertTrue(open.stream().noneMatch(c -> c.kind() != Kind.FIRST && c.kind() != Kind.TAIL && c.eof()),
                    "no echo connection ended: " + open);

            peers.drain();
            peers.ping();
            List<Integer> finishing = new ArrayList<>(idle);
            finishing.addAll(bulk);
            finishing.addAll(stall);
            finishing.addAll(first);
            peers.finish(finishing);
            List<Conn> done = peers.await("every connection ended exactly after its last byte", Duration.ofSeconds(30),
                    Conn::complete);
            assertEquals(100, done.size());
            printTotals(done);

            Workload w = stage.workload("a");
            Map<String, String> received = new HashMap<>();
            for (String line : ProcessMigrationScenario.outputOf(w)) {
                String[] f = line.split(" ");
                if (f.length == 4 && f[0].equals("received")) received.put(f[1], f[2] + " " + f[3]);
            }
            for (Conn c : done) {
                if (c.kind() != Kind.FIRST) continue;
                assertEquals(c.written() + " " + c.crc(), received.get(Integer.toString(c.id())),
                        "the workload got every byte of FIRST connection " + c.id() + " after it had half-closed");
            }
            assertTrue(ProcessMigrationScenario.countsOn(ProcessMigrationScenario.ticks(w)), "the ticks went on");
            assertTrue(ProcessMigrationScenario.startedOnce(w), "never restarted");
        } finally {
            handshakes.close();
            if (wire != null) wire.close();
        }
        // every connection's SYN, FIN and RST segments, keyed by the gateway's end (only the flag counts mean anything)
        WireReport flags = WireAudit.analyze(control, stage.service());
        System.out.printf("on the peer host's wire: %d FIN from the gateway, %d FIN from the peers, RST %d / %d%n",
                flags.fromPeer().finCount(), flags.toPeer().finCount(), flags.fromPeer().rstCount(),
                flags.toPeer().rstCount());
        assertEquals(0, flags.rstCount(), "no RST either way between the peers and the gateway");
        for (Conn c : sampled.values()) {
            WireReport one = WireAudit.analyze(sample, new InetSocketAddress(stage.lab.host("peer").address(), c.port()));
            System.out.printf("wire of %s connection %d: %s%n", c.kind(), c.id(), one);
            assertTrue(one.isClean(), "no RST and no hole on " + c.kind() + " connection " + c.id() + ": " + one);
        }
        assertEquals(List.of(), stage.leftovers());
    }

    /**
     * Not a migration — the data path's half-close under backpressure: peers that stopped reading fill every queue
     * both ways, then read again and half-close at once, while tens of megabytes of echo are still owed to them.
     * The gateway passes each FIN on after the peer's last byte and keeps delivering the echo to the half-closed
     * peer, then the workload's FIN. (On Netty 4.2.18 this lost the echo's tail before {@code EpollInterest}.)
     */
    @Test
    void peersThatHalfCloseWithMegabytesOfEchoStillOwedGetEveryByteThenTheEnd() throws Exception {
        stage.startPythonWorkload();
        stage.startGateway();
        GatewayPeers peers = GatewayPeers.start(stage);
        Path control = stage.home.resolve("control.pcap");
        try (WireCapture handshakes = WireCapture.start(stage.lab.host("peer").netns(), "eth0",
                "tcp port " + GatewayLab.SERVICE_PORT + " and tcp[tcpflags] & (tcp-fin|tcp-rst) != 0", control)) {
            List<Integer> stall = peers.open(Kind.STALL, 3);
            Map<Integer, Long> stalled = awaitStalled(peers);
            peers.drain();
            peers.finish(stall);
            List<Conn> done = peers.await("every echo came back whole, then the end", Duration.ofSeconds(30),
                    Conn::complete);
            System.out.printf("half-closed with %s bytes queued; echoed in all %s%n", stalled.values(),
                    done.stream().map(Conn::read).toList());
        }
        WireReport flags = WireAudit.analyze(control, stage.service());
        assertEquals(0, flags.rstCount(), "no RST either way: " + flags);
        assertEquals(List.of(), stage.leftovers());
    }

    /**
     * Waits until every STALL writer is blocked: its count stops moving, every queue from the peer to the workload
     * and back is full.
     */
    private static Map<Integer, Long> awaitStalled(GatewayPeers peers) throws Exception {
        Map<Integer, Long> last = Map.of();
        for (int i = 0; i < 100; i++) {
            Map<Integer, Long> now = peers.stats().stream().filter(c -> c.kind() == Kind.STALL)
                    .collect(Collectors.toMap(Conn::id, Conn::written));
            if (now.equals(last) && now.values().stream().allMatch(n -> n > 0)) return now;
            last = now;
            Thread.sleep(300);
        }
        throw new AssertionError("the STALL writers did not block (queues never filled): " + last);
    }

    private static void printTotals(List<Conn> done) {
        Map<Kind, long[]> byKind = new HashMap<>();
        for (Conn c : done) {
            long[] t = byKind.computeIfAbsent(c.kind(), k -> new long[3]);
            t[0] += c.written();
            t[1] += c.read();
            t[2] = Math.max(t[2], (long) c.gapMs());
        }
        byKind.forEach((k, t) -> System.out.printf("%s: written %d, read %d, longest read gap %d ms%n", k, t[0], t[1], t[2]));
    }
}
