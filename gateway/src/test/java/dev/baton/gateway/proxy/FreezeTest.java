package dev.baton.gateway.proxy;

import dev.baton.gateway.Gateway;
import dev.baton.socket.TcpSocket;
import dev.baton.socket.internal.Libc;
import dev.baton.socket.internal.SockAddr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.baton.gateway.proxy.ProxyTesting.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A flow's migration operations on loopback, without repair mode: freeze holds the peer's bytes and lets the
 * workload's through, thaw delivers them in order; detach, adopt and a rollback thaw keep the stream whole.
 */
class FreezeTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private TestUpstream upstream;
    private Gateway gateway;
    private SocketChannel peer;
    private SocketChannel atWorkload;
    private Flow flow;

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) c.close();
    }

    private <T extends AutoCloseable> T closing(T c) {
        toClose.add(c);
        return c;
    }

    /** A gateway in front of a manual upstream, one peer connected and its flow open. */
    private void connected(String timeouts) throws Exception {
        upstream = closing(TestUpstream.loopbackManual());
        gateway = closing(Gateway.start(loopbackConfig(dir, upstream.port(), timeouts)));
        peer = closing(SocketChannel.open(gateway.service("echo").orElseThrow().listen()));
        atWorkload = closing(upstream.next());
        flow = onlyFlow(gateway);
        await("the flow to open", () -> flow.state() == Flow.State.OPEN);
    }

    @Test
    void whileFrozenTheWorkloadGetsNothingAndThePeerStillReceivesThenThawDeliversInOrder() throws Exception {
        connected(null);
        byte[] before = random(64 * KIB, 1);
        writeAll(peer, before);
        assertArrayEquals(before, readExactly(atWorkload, before.length));

        join(flow.freeze());
        assertEquals(Flow.State.FROZEN, flow.state());
        byte[] during = random(256 * KIB, 2);
        writeAll(peer, during);
        assertEquals(0, readFor(atWorkload, 300).length, "the workload gets nothing while the flow is frozen");

        byte[] down = random(512 * KIB, 3);
        CompletableFuture<byte[]> atPeer = async(() -> readExactly(peer, down.length));
        writeAll(atWorkload, down);
        assertArrayEquals(down, join(atPeer), "the peer still receives while the flow is frozen");

        join(flow.thaw());
        assertEquals(Flow.State.OPEN, flow.state());
        assertEquals(sha256(during), sha256(readExactly(atWorkload, during.length)),
                "after thaw the workload gets what the peer sent meanwhile, in order");
        byte[] after = random(100 * KIB, 4);
        writeAll(peer, after);
        assertArrayEquals(after, readExactly(atWorkload, after.length), "and the flow goes on");
        assertEquals(0, flow.heldBytes());
    }

    @Test
    void freezeTakesBackWhatNettyHadQueuedForTheWorkloadAndThawSendsItFirst() throws Exception {
        connected(null);
        atWorkload.setOption(StandardSocketOptions.SO_RCVBUF, 64 * KIB);
        byte[] sent = random(32 * MIB, 5);
        CompletableFuture<Void> writing = async(() -> {
            writeAll(peer, sent);
            return null;
        });
        // the workload does not read: kernel buffers fill up, then Netty's outbound buffer
        // (past the low water mark it stays unwritable, so the gateway stops reading the peer: it settles there)
        await("Netty to queue bytes for the workload", () -> flow.queuedBytes() > Sockets.WATER_MARK.low());
        Thread.sleep(200);

        join(flow.freeze());
        assertTrue(flow.heldBytes() > 0, "the bytes Netty had not written are held");
        assertEquals(0, flow.queuedBytes(), "nothing is left queued for the workload");
        byte[] beforeFreeze = readFor(atWorkload, 1000); // what the kernels already had
        assertEquals(0, readFor(atWorkload, 300).length, "nothing more reaches the workload while frozen");

        join(flow.thaw());
        byte[] rest = readExactly(atWorkload, sent.length - beforeFreeze.length);
        join(writing);
        assertEquals(sha256(sent), sha256(concat(beforeFreeze, rest)), "every byte once, in order");
    }

    @Test
    void aFinFromTheFrozenPeerIsPassedOnAfterTheHeldBytes() throws Exception {
        connected(null);
        join(flow.freeze());
        byte[] last = random(20 * KIB, 6); // fits the gateway's receive window, so the FIN arrives too
        writeAll(peer, last);
        peer.shutdownOutput();
        // Netty reads to the end on EPOLLRDHUP even with autoRead off: those bytes are held, the FIN recorded
        await("the flow to see the peer's end", flow::peerEnded);
        assertEquals(last.length, flow.heldBytes());
        atWorkload.configureBlocking(false);
        assertEquals(0, atWorkload.read(ByteBuffer.allocate(1)), "no byte and no end of stream while frozen");
        atWorkload.configureBlocking(true);

        join(flow.thaw());
        assertEquals(sha256(last), sha256(readToEnd(atWorkload)), "the held bytes, then the end of stream");

        byte[] reply = random(100 * KIB, 7);
        writeAll(atWorkload, reply);
        atWorkload.shutdownOutput();
        assertEquals(sha256(reply), sha256(readToEnd(peer)), "the half-closed peer gets the reply");
        await("the flow to end", () -> flow.state() == Flow.State.CLOSED);
    }

    @Test
    void aFrozenFlowOutlivesTheIdleTimeoutWhichCountsAgainAfterThaw() throws Exception {
        connected("{\"idle\": \"200ms\"}");
        join(flow.freeze());
        Thread.sleep(700);
        assertEquals(Flow.State.FROZEN, flow.state(), "a frozen flow is not idle");
        join(flow.thaw());
        writeAll(peer, new byte[]{42});
        assertArrayEquals(new byte[]{42}, readExactly(atWorkload, 1));
        assertEquals(-1, peer.read(ByteBuffer.allocate(1)), "once thawed and quiet, the idle timeout closes it");
    }

    @Test
    void aPeerResetWhileFrozenEndsTheFlowAndTheNextOperationSaysSo() throws Exception {
        connected(null);
        join(flow.freeze());
        peer.setOption(StandardSocketOptions.SO_LINGER, 0);
        peer.close(); // RST
        await("the flow to end", () -> flow.state() == Flow.State.CLOSED);
        assertEquals(-1, atWorkload.read(ByteBuffer.allocate(1)), "the gateway closed the workload's connection");

        Throwable e = failure(flow.detachUpstream());
        assertInstanceOf(FlowClosedException.class, e);
        assertTrue(e.getMessage().startsWith("detaching the upstream of flow " + flow.id() + ": the flow is gone (the peer"),
                e.getMessage());
        assertInstanceOf(FlowClosedException.class, failure(flow.thaw()));
    }

    @Test
    void detachingAnUnfrozenFlowIsRefused() throws Exception {
        connected(null);
        Throwable e = failure(flow.detachUpstream());
        assertEquals("flow " + flow.id() + " is OPEN, not FROZEN: cannot detach its upstream (freeze it first)",
                e.getMessage());
        assertEquals(Flow.State.OPEN, flow.state());
    }

    @Test
    void aMigrationThatStopsAfterDetachThawsOnTheOriginalUpstream() throws Exception {
        connected(null);
        join(flow.freeze());
        int fd = join(flow.detachUpstream());
        assertEquals(upstream.address(), TcpSocket.borrow(fd).remoteAddress(), "the fd is the upstream socket");

        byte[] up = random(300 * KIB, 8);
        byte[] down = random(300 * KIB, 9);
        writeAll(peer, up);
        CompletableFuture<Void> downWrite = async(() -> {
            writeAll(atWorkload, down);
            return null;
        });
        assertEquals(0, readFor(peer, 300).length, "a detached upstream is not read: its bytes wait in its socket");
        assertEquals(0, readFor(atWorkload, 100).length, "and nothing is written to it");

        join(flow.thaw());
        assertEquals(sha256(up), sha256(readExactly(atWorkload, up.length)), "peer -> workload, whole");
        assertEquals(sha256(down), sha256(readExactly(peer, down.length)), "workload -> peer, whole");
        join(downWrite);
        assertEquals(Flow.State.OPEN, flow.state());
        assertEquals(upstream.address(), flow.upstreamRemote());
    }

    @Test
    void anAdoptedUpstreamReceivesTheHeldBytesAndCarriesTheFlowOn() throws Exception {
        connected(null);
        TestUpstream second = closing(TestUpstream.loopbackManual());
        join(flow.freeze());
        byte[] held = random(128 * KIB, 10); // not read while frozen: they wait in the kernel, then in the flow
        writeAll(peer, held);

        join(flow.detachUpstream());
        join(flow.closeDetachedUpstream());
        assertEquals(-1, atWorkload.read(ByteBuffer.allocate(1)), "the old upstream is closed");
        assertEquals(Flow.State.FROZEN, flow.state(), "closing the detached upstream does not end the flow");

        int fd = connectedSocket(second);
        join(flow.adoptUpstream(fd));
        SocketChannel atSecond = closing(second.next());
        assertEquals(second.address(), flow.upstreamRemote());
        byte[] early = random(50 * KIB, 11);
        writeAll(atSecond, early);
        assertArrayEquals(early, readExactly(peer, early.length), "the adopted upstream is read before thaw");
        assertEquals(0, readFor(atSecond, 200).length, "and gets nothing before thaw");

        join(flow.thaw());
        assertEquals(sha256(held), sha256(readExactly(atSecond, held.length)), "thaw writes the held bytes there");
        byte[] more = random(64 * KIB, 12);
        writeAll(peer, more);
        assertArrayEquals(more, readExactly(atSecond, more.length));
    }

    @Test
    void anAdoptWhileTheDetachedUpstreamIsStillOpenIsRefusedAndTheFdStaysTheCallers() throws Exception {
        connected(null);
        join(flow.freeze());
        join(flow.detachUpstream());
        TestUpstream second = closing(TestUpstream.loopbackManual());
        int fd = connectedSocket(second);
        try {
            Throwable e = failure(flow.adoptUpstream(fd));
            assertEquals("flow " + flow.id() + " still has its detached upstream: close it first", e.getMessage());
            assertEquals(second.address(), TcpSocket.borrow(fd).remoteAddress(), "the fd is still open");
        } finally {
            Libc.close(fd);
        }
        join(flow.thaw()); // and the migration can still roll back
        writeAll(peer, new byte[]{1, 2, 3});
        assertArrayEquals(new byte[]{1, 2, 3}, readExactly(atWorkload, 3));
    }

    /** A blocking socket connected to {@code server}, as a raw fd (what a rebuild hands over). */
    private static int connectedSocket(TestUpstream server) {
        int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            Libc.connect(fd, SockAddr.encode(arena, Libc.AF_INET, server.address()));
        } catch (RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
        return fd;
    }

    @Test
    void freezeAndThawAreIdempotent() throws Exception {
        connected(null);
        join(flow.freeze());
        join(flow.freeze());
        assertEquals(Flow.State.FROZEN, flow.state());
        join(flow.thaw());
        join(flow.thaw());
        assertEquals(Flow.State.OPEN, flow.state());
        writeAll(peer, new byte[]{7});
        assertArrayEquals(new byte[]{7}, readExactly(atWorkload, 1));
    }

    @Test
    void theFrozenGaugeCountsFrozenFlows() throws Exception {
        connected(null);
        join(flow.freeze());
        assertTrue(gateway.scrape().contains("baton_gateway_flows_frozen{service=\"echo\",workload=\"echo\"} 1"),
                gateway.scrape());
        join(flow.thaw());
        assertTrue(gateway.scrape().contains("baton_gateway_flows_frozen{service=\"echo\",workload=\"echo\"} 0"));
    }

}
