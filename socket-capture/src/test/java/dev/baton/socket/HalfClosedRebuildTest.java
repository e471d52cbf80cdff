package dev.baton.socket;

import dev.baton.netns.Commands;
import dev.baton.netns.NetnsLab;
import dev.baton.netns.NetnsLab.Host;
import dev.baton.socket.audit.WireAudit;
import dev.baton.socket.audit.WireCapture;
import dev.baton.socket.audit.WireReport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.baton.socket.LabSockets.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Half-closed connections survive a capture, a silent close and a rebuild (or an in-place re-point): the FIN we
 * sent is sent again after our data (a peer that had it acknowledges a duplicate), the FIN the peer sent is
 * injected again so the rebuilt socket is in CLOSE_WAIT and its application reads EOF after the queued bytes; the
 * other direction goes on. Every byte arrives exactly once (checksums), and no RST is seen on the peer's wire.
 * The flow is held by dropping at output on both hosts, loopback excepted (the re-injected FIN travels over it).
 */
@Tag("privileged")
class HalfClosedRebuildTest {
    private static final int PORT = 7000;
    private static final int KIB = 1024;

    enum Net { INET, INET6_MAPPED }

    enum OurFin { ACKED_FIN_WAIT2, UNACKED_FIN_WAIT1 }

    @TempDir
    Path tmp;

    /** One connection between a (server, the side captured) and b (client, the peer that stays). */
    private record Conn(Host a, Host b, ServerSocketChannel server, SocketChannel client, SocketChannel accepted)
            implements AutoCloseable {
        static Conn open(NetnsLab lab, Net net) throws Exception {
            Host a = lab.host("a"), b = lab.host("b");
            for (Host h : new Host[]{a, b}) {
                sysctl(h, "net.ipv4.tcp_rmem", "4096 4194304 8388608", "net.ipv4.tcp_wmem", "4096 4194304 8388608");
            }
            ProtocolFamily pf = net == Net.INET ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
            InetSocketAddress service = new InetSocketAddress(a.address(), PORT);
            InetSocketAddress bindTo = net == Net.INET ? service : new InetSocketAddress(InetAddress.ofLiteral("::"), PORT);
            ServerSocketChannel server = a.netns().call(() -> ServerSocketChannel.open(pf).bind(bindTo));
            SocketChannel client = b.netns().call(() -> SocketChannel.open(pf));
            client.connect(service);
            SocketChannel accepted = server.accept();
            timeouts(client);
            timeouts(accepted);
            return new Conn(a, b, server, client, accepted);
        }

        int afd() throws Exception {
            return fdOf(accepted);
        }

        @Override
        public void close() throws Exception {
            client.close();
            accepted.close();
            server.close();
        }
    }

    /** Drops port {@link #PORT}'s packets on their way out of each host, except over loopback. */
    static final class OutputHold implements AutoCloseable {
        private static final String TABLE = "baton_test_out_hold";
        private final List<Host> hosts = new ArrayList<>();

        OutputHold(Host... hosts) {
            String script = "table inet " + TABLE + " {\n chain out {\n  type filter hook output priority -300; policy accept;\n"
                    + "  oifname \"lo\" accept\n  tcp dport " + PORT + " drop\n  tcp sport " + PORT + " drop\n }\n}\n";
            for (Host h : hosts) {
                Commands.run(h.command("nft", "-f", "-"), script);
                this.hosts.add(h);
            }
        }

        @Override
        public void close() {
            for (Host h : hosts) Commands.run(h.command("nft", "delete", "table", "inet", TABLE), null);
            hosts.clear();
        }
    }

    static TcpState stateOf(int fd) {
        return TcpSocket.borrow(fd).info().state();
    }

    static void awaitState(int fd, TcpState expected) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000;
        TcpState s;
        while ((s = stateOf(fd)) != expected) {
            if (System.nanoTime() > deadline) throw new AssertionError("state " + s + ", expected " + expected);
            Thread.sleep(2);
        }
    }

    /** Captures a's socket (and b's, to reconcile), closes a's silently; the flow stays held. */
    private static TcpSocketState[] captureBoth(Conn c) throws Exception {
        int afd = c.afd();
        TcpSocketState peer = SocketCapture.capture(TcpSocket.borrow(fdOf(c.client())));
        TcpSocket dup = grabOwn(afd);
        RepairSession session = RepairSession.enter(dup);
        TcpSocketState state = session.snapshot();
        c.accepted().close();
        session.closeSilently();
        return new TcpSocketState[]{StateJson.read(StateJson.write(state)), peer};
    }

    private WireCapture wire(Conn c, String name) throws Exception {
        return WireCapture.start(c.b().netns(), "eth0", "tcp port " + PORT, tmp.resolve(name + ".pcap"));
    }

    private void assertNoRst(WireCapture w, InetSocketAddress peer) throws Exception {
        w.close();
        WireReport r = WireAudit.analyze(w.file(), peer);
        assertEquals(0, r.rstCount(), r.summary());
    }

    @ParameterizedTest
    @EnumSource(OurFin.class)
    void aConnectionWeHalfClosedIsRebuiltAndThePeerReadsOurDataThenEofOnce(OurFin fin) throws Exception {
        try (NetnsLab lab = NetnsLab.create("a", "b"); Conn c = Conn.open(lab, Net.INET)) {
            int afd = c.afd();
            InetSocketAddress peerEnd = (InetSocketAddress) c.client().getLocalAddress();
            byte[] toA = random(64 * KIB, 1);
            byte[] fromA = random(100 * KIB, 2);
            writeAll(c.client(), toA);
            await("a's receive queue", () -> inq(afd), toA.length);
            WireCapture w = wire(c, "fin-" + fin);
            TcpSocketState[] states;
            try (OutputHold hold = fin == OurFin.UNACKED_FIN_WAIT1 ? new OutputHold(c.a(), c.b()) : null) {
                writeAll(c.accepted(), fromA);
                c.accepted().shutdownOutput();
                awaitState(afd, fin == OurFin.ACKED_FIN_WAIT2 ? TcpState.FIN_WAIT2 : TcpState.FIN_WAIT1);
                if (fin == OurFin.ACKED_FIN_WAIT2) {
                    int bfd = fdOf(c.client());
                    await("b received a's bytes", () -> inq(bfd), fromA.length);
                }
                try (OutputHold h2 = hold == null ? new OutputHold(c.a(), c.b()) : null) {
                    states = captureBoth(c);
                    TcpSocketState state = states[0], peer = states[1];
                    assertEquals(fin == OurFin.ACKED_FIN_WAIT2 ? TcpState.FIN_WAIT2 : TcpState.FIN_WAIT1, state.state());
                    assertArrayEquals(toA, state.receiveQueue().data(), "receive queue: data only");
                    if (fin == OurFin.ACKED_FIN_WAIT2) {
                        assertEquals(0, state.sendQueue().length(), "everything acknowledged, FIN not counted");
                        assertEquals(TcpState.CLOSE_WAIT, peer.state());
                        assertEquals(peer.receiveQueue().endSeq(), state.sendQueue().endSeq(),
                                "our data end is where the peer's data ends; our FIN is not in the queue");
                    } else {
                        assertArrayEquals(fromA, state.sendQueue().bytes(), "send queue: all our data, no FIN");
                        assertTrue(state.sendQueue().unsent().length > 0, "some unsent: " + state.sendQueue());
                        assertEquals(TcpState.ESTABLISHED, peer.state(), "the peer has not seen our FIN");
                    }
                    assertEquals(peer.sendQueue().endSeq(), state.receiveQueue().endSeq(), "peer's data end");
                    TcpSocketState toRebuild = state.reconciledWith(peer.receiveQueue().endSeq());
                    RepairSession session = c.a().netns().call(() -> RepairSession.rebuild(toRebuild));
                    if (h2 != null) h2.close();
                    if (hold != null) hold.close();
                    session.resume();
                    TcpSocket rebuilt = session.socket();
                    try (rebuilt) {
                        timeouts(rebuilt.fd());
                        // the peer: our data, then EOF, once
                        byte[] expectedAtB = fromA;
                        assertEquals(sha256(expectedAtB), sha256(readExactly(c.client(), expectedAtB.length)));
                        assertEquals(-1, c.client().read(ByteBuffer.allocate(1)), "EOF after our data");
                        assertEquals(-1, c.client().read(ByteBuffer.allocate(1)), "and nothing after it");
                        // the peer still sends; we get everything
                        byte[] fromB = random(100 * KIB, 3);
                        CompletableFuture<byte[]> atA = async(() -> readExactly(rebuilt.channel(), toA.length + fromB.length));
                        writeAll(c.client(), fromB);
                        assertEquals(sha256(RebuildRoundTripTest.concat(toA, fromB)), sha256(join(atA)));
                        awaitState(rebuilt.fd(), TcpState.FIN_WAIT2);
                        c.client().close();
                        assertEquals(-1, rebuilt.channel().read(ByteBuffer.allocate(1)), "the peer's EOF");
                    }
                }
            }
            assertNoRst(w, peerEnd);
        }
    }

    @ParameterizedTest
    @EnumSource(Net.class)
    void aConnectionThePeerHalfClosedIsRebuiltInCloseWaitAndReadsTheQueueThenEof(Net net) throws Exception {
        try (NetnsLab lab = NetnsLab.create("a", "b"); Conn c = Conn.open(lab, net)) {
            int afd = c.afd();
            InetSocketAddress peerEnd = (InetSocketAddress) c.client().getLocalAddress();
            byte[] toA = random(64 * KIB, 4);
            writeAll(c.client(), toA);
            c.client().shutdownOutput();
            awaitState(afd, TcpState.CLOSE_WAIT);
            awaitState(fdOf(c.client()), TcpState.FIN_WAIT2);
            assertEquals(toA.length, inq(afd));
            WireCapture w = wire(c, "close-wait-" + net);
            byte[] fromA1 = random(50 * KIB, 5);
            try (OutputHold hold = new OutputHold(c.a(), c.b())) {
                writeAll(c.accepted(), fromA1); // held: unacked and unsent
                TcpSocketState[] states = captureBoth(c);
                TcpSocketState state = states[0], peer = states[1];
                assertEquals(TcpState.CLOSE_WAIT, state.state());
                assertTrue(state.options().timestamps(), "timestamps on: the injected FIN (no TS option) passes");
                assertEquals(TcpState.FIN_WAIT2, peer.state());
                assertArrayEquals(toA, state.receiveQueue().data());
                assertEquals(peer.sendQueue().endSeq(), state.receiveQueue().endSeq(), "the peer's FIN is not in the queue");
                assertArrayEquals(fromA1, state.sendQueue().bytes());
                TcpSocketState toRebuild = state.reconciledWith(peer.receiveQueue().endSeq());
                RepairSession session = c.a().netns().call(() -> RepairSession.rebuild(toRebuild));
                TcpSocket rebuilt = session.socket();
                try (rebuilt) {
                    assertEquals(TcpState.CLOSE_WAIT, rebuilt.info().state(), "the injected FIN was taken");
                    TcpSocketState again = session.snapshot();
                    assertEquals(TcpState.CLOSE_WAIT, again.state());
                    assertEquals(toRebuild.receiveQueue(), again.receiveQueue());
                    assertEquals(toRebuild.sendQueue().seq(), again.sendQueue().seq());
                    hold.close();
                    session.resume();
                    timeouts(rebuilt.fd());
                    assertEquals(TcpState.CLOSE_WAIT, rebuilt.info().state());
                    assertEquals(sha256(toA), sha256(readExactly(rebuilt.channel(), toA.length)));
                    assertEquals(-1, rebuilt.channel().read(ByteBuffer.allocate(1)), "EOF after the queued bytes");
                    assertEquals(-1, rebuilt.channel().read(ByteBuffer.allocate(1)), "and nothing after it");
                    byte[] fromA2 = random(100 * KIB, 6);
                    CompletableFuture<byte[]> atB = async(() -> readExactly(c.client(), fromA1.length + fromA2.length));
                    writeAll(rebuilt.channel(), fromA2);
                    assertEquals(sha256(RebuildRoundTripTest.concat(fromA1, fromA2)), sha256(join(atB)));
                    Libcs.shutdownOutput(rebuilt);
                    assertEquals(-1, c.client().read(ByteBuffer.allocate(1)), "our EOF at the peer");
                }
            }
            assertNoRst(w, peerEnd);
        }
    }

    @Test
    void aConnectionClosedBothWaysInLastAckIsRebuiltAndThePeerGetsOurDataThenEof() throws Exception {
        try (NetnsLab lab = NetnsLab.create("a", "b"); Conn c = Conn.open(lab, Net.INET6_MAPPED)) {
            int afd = c.afd();
            InetSocketAddress peerEnd = (InetSocketAddress) c.client().getLocalAddress();
            byte[] toA = random(16 * KIB, 9);
            writeAll(c.client(), toA);
            c.client().shutdownOutput();
            awaitState(afd, TcpState.CLOSE_WAIT);
            awaitState(fdOf(c.client()), TcpState.FIN_WAIT2);
            WireCapture w = wire(c, "last-ack");
            byte[] fromA = random(40 * KIB, 10);
            try (OutputHold hold = new OutputHold(c.a(), c.b())) {
                writeAll(c.accepted(), fromA);
                c.accepted().shutdownOutput();
                awaitState(afd, TcpState.LAST_ACK);
                TcpSocketState[] states = captureBoth(c);
                TcpSocketState state = states[0], peer = states[1];
                assertEquals(TcpState.LAST_ACK, state.state());
                assertArrayEquals(toA, state.receiveQueue().data());
                assertArrayEquals(fromA, state.sendQueue().bytes(), "our data, without our FIN");
                assertEquals(peer.sendQueue().endSeq(), state.receiveQueue().endSeq(), "without the peer's FIN");
                TcpSocketState toRebuild = state.reconciledWith(peer.receiveQueue().endSeq());
                RepairSession session = c.a().netns().call(() -> RepairSession.rebuild(toRebuild));
                TcpSocket rebuilt = session.socket();
                try (rebuilt) {
                    assertEquals(TcpState.CLOSE_WAIT, rebuilt.info().state(), "the peer's FIN was taken");
                    hold.close();
                    session.resume();
                    timeouts(rebuilt.fd());
                    assertEquals(sha256(fromA), sha256(readExactly(c.client(), fromA.length)));
                    assertEquals(-1, c.client().read(ByteBuffer.allocate(1)), "our EOF after our data");
                    assertEquals(sha256(toA), sha256(readExactly(rebuilt.channel(), toA.length)));
                    assertEquals(-1, rebuilt.channel().read(ByteBuffer.allocate(1)), "the peer's EOF after its data");
                    awaitState(rebuilt.fd(), TcpState.CLOSE);
                }
            }
            assertNoRst(w, peerEnd);
        }
    }

    @Test
    void aCloseWaitSocketIsRepointedInPlace() throws Exception {
        try (NetnsLab lab = NetnsLab.create("a", "b"); Conn c = Conn.open(lab, Net.INET6_MAPPED)) {
            int afd = c.afd();
            InetSocketAddress peerEnd = (InetSocketAddress) c.client().getLocalAddress();
            byte[] toA = random(32 * KIB, 7);
            writeAll(c.client(), toA);
            c.client().shutdownOutput();
            awaitState(afd, TcpState.CLOSE_WAIT);
            WireCapture w = wire(c, "repoint");
            TcpSocketState before;
            try (TcpSocket grabbed = grabOwn(afd)) {
                InetSocketAddress remote = grabbed.remoteAddress();
                before = c.a().netns().call(() -> SocketCapture.repoint(grabbed, remote));
            }
            assertEquals(TcpState.CLOSE_WAIT, before.state());
            assertFalse(inRepairMode(afd));
            assertEquals(TcpState.CLOSE_WAIT, stateOf(afd));
            assertEquals(toA.length, inq(afd));
            assertEquals(sha256(toA), sha256(readExactly(c.accepted(), toA.length)));
            assertEquals(-1, c.accepted().read(ByteBuffer.allocate(1)), "EOF after the queued bytes");
            byte[] fromA = random(100 * KIB, 8);
            CompletableFuture<byte[]> atB = async(() -> readExactly(c.client(), fromA.length));
            writeAll(c.accepted(), fromA);
            assertEquals(sha256(fromA), sha256(join(atB)));
            c.accepted().shutdownOutput();
            assertEquals(-1, c.client().read(ByteBuffer.allocate(1)));
            assertNoRst(w, peerEnd);
        }
    }

    @Test
    void aNativeIpv6ConnectionWithAReceivedFinIsRefusedAsUnsupported() {
        TcpSocketState s = new TcpSocketState(TcpSocketState.FORMAT_VERSION, Family.INET6,
                new InetSocketAddress(InetAddress.ofLiteral("::1"), 1), new InetSocketAddress(InetAddress.ofLiteral("::1"), 2),
                TcpState.CLOSE_WAIT, new ReceiveQueue(1, new byte[0]), new SendQueue(2, new byte[0], new byte[0]),
                new TcpOptions(1460, true, false, null), null, null);
        SocketCaptureException e = assertThrows(SocketCaptureException.class, () -> RepairSession.rebuild(s));
        assertEquals(SocketCaptureException.Reason.UNSUPPORTED_STATE, e.reason());
        assertTrue(e.getMessage().contains("IPv6"), e.getMessage());
    }

    /** shutdown(SHUT_WR) on a socket of this module. */
    static final class Libcs {
        static void shutdownOutput(TcpSocket s) {
            dev.baton.socket.internal.Libc.shutdown(s.fd(), dev.baton.socket.internal.Libc.SHUT_WR);
        }
    }
}
