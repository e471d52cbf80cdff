package dev.baton.gateway.proxy;

import dev.baton.gateway.Gateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import static dev.baton.gateway.proxy.ProxyTesting.*;
import static org.junit.jupiter.api.Assertions.*;

/** The gateway's data path on loopback: bytes both ways, half-close, backpressure, idle timeout, connect failure. */
class DataPathTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) c.close();
    }

    private <T extends AutoCloseable> T closing(T c) {
        toClose.add(c);
        return c;
    }

    private Gateway gateway(int upstreamPort, String timeouts) {
        return closing(Gateway.start(loopbackConfig(dir, upstreamPort, timeouts)));
    }

    private SocketChannel peer(Gateway gateway) throws IOException {
        return closing(SocketChannel.open(gateway.service("echo").orElseThrow().listen()));
    }

    @Test
    void bytesCrossTheGatewayExactlyBothWaysOnOneFlow() throws Exception {
        TestUpstream upstream = closing(TestUpstream.loopbackEcho());
        Gateway gateway = gateway(upstream.port(), null);
        SocketChannel peer = peer(gateway);
        byte[] sent = random(16 * MIB, 1);

        CompletableFuture<Void> writing = async(() -> {
            writeAll(peer, sent);
            return null;
        });
        byte[] echoed = readExactly(peer, sent.length);
        join(writing);

        assertEquals(sha256(sent), sha256(echoed), "the echo came back byte for byte");
        Flow flow = onlyFlow(gateway);
        assertEquals(Flow.State.OPEN, flow.state());
        assertEquals(upstream.address(), flow.upstreamRemote(), "the flow goes to the workload's host and port");
        assertEquals(peer.getLocalAddress(), flow.peer());
        await("byte counts", () -> flow.bytesUp() == sent.length && flow.bytesDown() == sent.length);
        assertEquals(0, flow.heldBytes());
    }

    @Test
    void fiftyConcurrentFlowsEachGetTheirOwnBytesBack() throws Exception {
        TestUpstream upstream = closing(TestUpstream.loopbackEcho());
        Gateway gateway = gateway(upstream.port(), null);
        List<CompletableFuture<String[]>> flows = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            byte[] sent = random(MIB + i * 997, 100 + i);
            SocketChannel peer = peer(gateway);
            flows.add(async(() -> {
                CompletableFuture<Void> writing = async(() -> {
                    writeAll(peer, sent);
                    return null;
                });
                byte[] echoed = readExactly(peer, sent.length);
                join(writing);
                return new String[]{sha256(sent), sha256(echoed)};
            }));
        }
        for (int i = 0; i < flows.size(); i++) {
            String[] sums = join(flows.get(i));
            assertEquals(sums[0], sums[1], "flow " + i + " got its own bytes back");
        }
        assertEquals(50, gateway.flows().size());
        assertEquals(50, upstream.acceptedCount());
    }

    @Test
    void aPeerThatStopsWritingStillReceivesAndTheFlowEndsWhenBothSidesHave() throws Exception {
        TestUpstream upstream = closing(TestUpstream.loopbackManual());
        Gateway gateway = gateway(upstream.port(), null);
        SocketChannel peer = peer(gateway);
        byte[] request = random(MIB, 2);
        byte[] response = random(2 * MIB, 3);

        writeAll(peer, request);
        peer.shutdownOutput();
        SocketChannel atWorkload = closing(upstream.next());
        assertEquals(sha256(request), sha256(readToEnd(atWorkload)), "the workload read the request, then its end");
        Flow flow = onlyFlow(gateway);
        assertTrue(flow.peerEnded(), "the flow saw the peer's end");
        assertFalse(flow.upstreamEnded());

        CompletableFuture<byte[]> atPeer = async(() -> readToEnd(peer));
        writeAll(atWorkload, response);
        atWorkload.shutdownOutput();
        assertEquals(sha256(response), sha256(join(atPeer)), "the half-closed peer still got the whole response");

        await("the flow to end", () -> flow.state() == Flow.State.CLOSED);
        assertTrue(flow.upstreamEnded());
        assertEquals(List.of(), gateway.flows());
        assertEquals(-1, atWorkload.read(ByteBuffer.allocate(1)), "the gateway closed the workload's connection");
    }

    @Test
    void aWorkloadThatStopsWritingStillReceives() throws Exception {
        TestUpstream upstream = closing(TestUpstream.loopbackManual());
        Gateway gateway = gateway(upstream.port(), null);
        SocketChannel peer = peer(gateway);
        SocketChannel atWorkload = closing(upstream.next());
        byte[] greeting = random(MIB, 4);
        byte[] upload = random(3 * MIB, 5);

        writeAll(atWorkload, greeting);
        atWorkload.shutdownOutput();
        assertEquals(sha256(greeting), sha256(readToEnd(peer)), "the peer read the greeting, then its end");
        Flow flow = onlyFlow(gateway);
        assertTrue(flow.upstreamEnded());
        assertEquals(Flow.State.OPEN, flow.state(), "one side ended: the flow goes on");

        CompletableFuture<byte[]> atUpstream = async(() -> readToEnd(atWorkload));
        writeAll(peer, upload);
        peer.shutdownOutput();
        assertEquals(sha256(upload), sha256(join(atUpstream)), "the half-closed workload still got the upload");
        await("the flow to end", () -> flow.state() == Flow.State.CLOSED);
    }

    @Test
    void slowReadersOnBothSidesBoundWhatTheGatewayQueuesWhile64MiBGoThroughEachWay() throws Exception {
        TestUpstream upstream = closing(TestUpstream.loopbackManual());
        Gateway gateway = gateway(upstream.port(), null);
        SocketChannel peer = peer(gateway);
        SocketChannel atWorkload = closing(upstream.next());
        Flow flow = onlyFlow(gateway);
        byte[] up = random(64 * MIB, 6);
        byte[] down = random(64 * MIB, 7);

        AtomicLong most = new AtomicLong();
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!done.isDone()) {
                most.accumulateAndGet(flow.heldBytes() + flow.queuedBytes(), Math::max);
                Thread.onSpinWait();
            }
        });
        try {
            CompletableFuture<Void> peerWrites = async(() -> {
                writeAll(peer, up);
                return null;
            });
            CompletableFuture<Void> workloadWrites = async(() -> {
                writeAll(atWorkload, down);
                return null;
            });
            CompletableFuture<byte[]> workloadReads = async(() -> readSlowly(atWorkload, up.length));
            byte[] atPeer = readSlowly(peer, down.length);
            assertEquals(sha256(up), sha256(join(workloadReads)), "peer -> workload, byte for byte");
            assertEquals(sha256(down), sha256(atPeer), "workload -> peer, byte for byte");
            join(peerWrites);
            join(workloadWrites);
        } finally {
            done.complete(null);
            sampler.join();
        }
        assertTrue(most.get() < 4 * MIB, "the gateway never held or queued 4 MiB (most: " + most.get() + " bytes)");
        assertTrue(most.get() > 0, "the sampler saw the flow's queues");
    }

    /** A slow reader: 64 KiB, then a pause. */
    private static byte[] readSlowly(SocketChannel ch, int n) throws Exception {
        ByteBuffer all = ByteBuffer.allocate(n);
        while (all.hasRemaining()) {
            ByteBuffer chunk = all.slice(all.position(), Math.min(64 * KIB, all.remaining()));
            int read = ch.read(chunk);
            if (read < 0) throw new IOException("end of stream after " + all.position() + " of " + n);
            all.position(all.position() + read);
            Thread.sleep(1);
        }
        return all.array();
    }

    @Test
    void aFlowWithNoByteEitherWayForTheIdleTimeoutIsClosedAndOneWithTrafficIsNot() throws Exception {
        TestUpstream upstream = closing(TestUpstream.loopbackEcho());
        Gateway gateway = gateway(upstream.port(), "{\"idle\": \"300ms\"}");
        SocketChannel busy = peer(gateway);
        SocketChannel idle = peer(gateway);
        await("two flows", () -> gateway.flows().size() == 2);
        Flow busyFlow = gateway.flows().stream().filter(f -> {
            try {
                return f.peer().equals(busy.getLocalAddress());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).findFirst().orElseThrow();

        long start = System.nanoTime();
        CompletableFuture<Integer> idleRead = async(() -> idle.read(ByteBuffer.allocate(1)));
        for (int i = 0; i < 10; i++) { // one byte each 100 ms, for a second
            writeAll(busy, new byte[]{(byte) i});
            assertEquals(i, readExactly(busy, 1)[0]);
            Thread.sleep(100);
        }
        assertEquals(-1, join(idleRead), "the idle peer's connection was closed");
        long idleMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(idleMs >= 250, "not before the idle timeout: " + idleMs + " ms");
        assertEquals(List.of(busyFlow), gateway.flows(), "the busy flow is still there");
        assertEquals(Flow.State.OPEN, busyFlow.state());
        assertTrue(gateway.scrape().contains("baton_gateway_idle_closes_total{service=\"echo\",workload=\"echo\"} 1"),
                gateway.scrape());
    }

    @Test
    void aRefusedConnectClosesThePeerAndIsCounted() throws Exception {
        int nobody;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            nobody = s.getLocalPort();
        }
        Gateway gateway = gateway(nobody, null);
        SocketChannel peer = peer(gateway);
        peer.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
        int read;
        try {
            read = peer.read(ByteBuffer.allocate(1));
        } catch (IOException reset) {
            read = -1; // a reset is what HAProxy does too
        }
        assertEquals(-1, read, "the peer's connection was closed");
        await("the flow to go", () -> gateway.flows().isEmpty());
        assertTrue(gateway.scrape().contains(
                "baton_gateway_connect_failures_total{service=\"echo\",workload=\"echo\"} 1"), gateway.scrape());
    }

    @Test
    void metricsCountConnectionsAndBytesPerService() throws Exception {
        TestUpstream upstream = closing(TestUpstream.loopbackEcho());
        Gateway gateway = gateway(upstream.port(), null);
        SocketChannel peer = peer(gateway);
        writeAll(peer, random(1000, 8));
        readExactly(peer, 1000);
        String tags = "{service=\"echo\",workload=\"echo\"}";
        await("the byte counters", () -> gateway.scrape().contains("baton_gateway_bytes_down_total" + tags + " 1000"));
        String scrape = gateway.scrape();
        assertTrue(scrape.contains("baton_gateway_connections_total" + tags + " 1"), scrape);
        assertTrue(scrape.contains("baton_gateway_connections_active" + tags + " 1"), scrape);
        assertTrue(scrape.contains("baton_gateway_bytes_up_total" + tags + " 1000"), scrape);
        assertTrue(scrape.contains("baton_gateway_flows_waiting" + tags + " 0"), scrape);
        assertTrue(scrape.contains("baton_gateway_flows_frozen" + tags + " 0"), scrape);
        assertTrue(scrape.contains("baton_gateway_connect_failures_total" + tags + " 0"), scrape);
    }

    @Test
    void aServiceOnPortZeroReportsThePortItGot() throws Exception {
        TestUpstream upstream = closing(TestUpstream.loopbackEcho());
        Gateway gateway = gateway(upstream.port(), null);
        InetSocketAddress listen = gateway.service("echo").orElseThrow().listen();
        assertNotEquals(0, listen.getPort());
        assertEquals("127.0.0.1", listen.getAddress().getHostAddress());
    }
}
