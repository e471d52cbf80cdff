package dev.baton.socket;

import dev.baton.netns.NetnsLab;
import dev.baton.netns.NetnsLab.Host;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static dev.baton.socket.LabSockets.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A connection captured, closed silently and rebuilt carries on as if nothing happened: every queued byte arrives
 * exactly once and in order in both directions, and the rebuilt socket has the original's sequence numbers,
 * options and timestamp clock. Hosts are network namespaces joined by veth (or loopback in one namespace); the
 * server side of each connection is the one captured and rebuilt, next to its still-open listener.
 */
@Tag("privileged")
class RebuildRoundTripTest {
    private static final int PORT = 7000;
    private static final int KIB = 1024, MIB = 1024 * 1024;

    enum Net { INET_VETH, INET6_MAPPED_VETH, INET6_LOOPBACK }

    enum Send { NOTHING, UNSENT, UNACKED }

    record Scenario(Net net, int received, Send send, int sendBytes, boolean warmCwnd,
                    boolean sack, boolean timestamps, boolean windowScaling) {
        static Scenario of(Net net, int received, Send send, int sendBytes) {
            return new Scenario(net, received, send, sendBytes, false, true, true, true);
        }

        @Override
        public String toString() {
            return net + ", " + received + " B received, " + send + " " + sendBytes + " B" + (warmCwnd ? " (warm)" : "")
                    + ", sack=" + sack + " ts=" + timestamps + " wscale=" + windowScaling;
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 64 * KIB, MIB, 4 * MIB})
    void receiveQueuesOfEverySizeSurviveARebuild(int size) throws Exception {
        roundTrip(Scenario.of(Net.INET_VETH, size, Send.NOTHING, 0));
    }

    @Test
    void bytesTheClosedPeerWindowHeldBackAreSentAfterARebuild() throws Exception {
        roundTrip(Scenario.of(Net.INET_VETH, 1000, Send.UNSENT, 256 * KIB));
    }

    @Test
    void bytesSentButNeverAcknowledgedAreResentAfterARebuild() throws Exception {
        roundTrip(Scenario.of(Net.INET_VETH, 1000, Send.UNACKED, 64 * KIB));
    }

    @Test
    void unacknowledgedBytesBeyondOneCongestionWindowAreRetransmittedAfterARebuild() throws Exception {
        roundTrip(new Scenario(Net.INET_VETH, 64 * KIB, Send.UNACKED, 4 * MIB, true, true, true, true));
    }

    static Stream<Scenario> optionCombinations() {
        Stream.Builder<Scenario> s = Stream.builder();
        for (int bits = 0; bits < 8; bits++) {
            s.add(new Scenario(Net.INET_VETH, 30_000, Send.UNSENT, 100 * KIB, false,
                    (bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0));
        }
        return s.build();
    }

    @ParameterizedTest
    @MethodSource("optionCombinations")
    void everyNegotiableOptionCombinationSurvivesARebuild(Scenario s) throws Exception {
        roundTrip(s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"UNSENT", "UNACKED"})
    void ipv4MappedConnectionsOfDualStackSocketsSurviveARebuild(Send send) throws Exception {
        roundTrip(Scenario.of(Net.INET6_MAPPED_VETH, MIB, send, 256 * KIB));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 64 * KIB, 4 * MIB})
    void ipv6LoopbackConnectionsSurviveARebuild(int size) throws Exception {
        roundTrip(Scenario.of(Net.INET6_LOOPBACK, size, Send.UNACKED, 256 * KIB));
    }

    @Test
    void aLargeUnsentTailIsSentInFullEvenWhenTheNamespaceLimitsUnsentBytes() throws Exception {
        // tcp_notsent_lowat makes a non-blocking send refuse more than that many unsent bytes (EAGAIN)
        roundTrip(Scenario.of(Net.INET_VETH, 1000, Send.UNSENT, 4 * MIB), "net.ipv4.tcp_notsent_lowat", "16384");
    }

    /** {@code rebuildSysctls} are set in a's namespace after the capture, before the rebuild. */
    private void roundTrip(Scenario s, String... rebuildSysctls) throws Exception {
        try (NetnsLab lab = NetnsLab.create("a", "b")) {
            Host a = lab.host("a");
            Host b = s.net == Net.INET6_LOOPBACK ? a : lab.host("b");
            for (Host h : new Host[]{a, b}) {
                sysctl(h, "net.ipv4.tcp_rmem", "4096 33554432 33554432",
                        "net.ipv4.tcp_wmem", "4096 16777216 33554432",
                        "net.ipv4.tcp_sack", s.sack ? "1" : "0",
                        "net.ipv4.tcp_timestamps", s.timestamps ? "1" : "0",
                        "net.ipv4.tcp_window_scaling", s.windowScaling ? "1" : "0");
            }
            ProtocolFamily pf = s.net == Net.INET_VETH ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
            InetAddress serverIp = s.net == Net.INET6_LOOPBACK ? InetAddress.ofLiteral("::1") : a.address();
            InetSocketAddress service = new InetSocketAddress(serverIp, PORT);
            InetSocketAddress bindTo = s.net == Net.INET6_MAPPED_VETH ? new InetSocketAddress(InetAddress.ofLiteral("::"), PORT)
                    : service;
            try (ServerSocketChannel server = a.netns().call(() -> ServerSocketChannel.open(pf).bind(bindTo));
                 SocketChannel client = b.netns().call(() -> {
                     SocketChannel c = SocketChannel.open(pf);
                     if (s.send == Send.UNSENT) c.setOption(StandardSocketOptions.SO_RCVBUF, 32 * KIB);
                     c.connect(service);
                     return c;
                 })) {
                SocketChannel accepted = server.accept();
                int afd = fdOf(accepted);
                timeouts(client);
                Host[] holdOn = a == b ? new Host[]{a} : new Host[]{a, b};
                ByteArrayOutputStream aStream = new ByteArrayOutputStream();

                byte[] toA = random(s.received, 1);
                CompletableFuture<Object> w = async(() -> {
                    writeAll(client, toA);
                    return null;
                });
                await("a's receive queue", () -> inq(afd), s.received);
                join(w);

                if (s.warmCwnd) { // grows the congestion window, so that more than 10 segments are in flight later
                    byte[] warm = random(8 * MIB, 2);
                    CompletableFuture<byte[]> r = async(() -> readExactly(client, warm.length));
                    writeAll(accepted, warm);
                    assertArrayEquals(warm, join(r));
                }

                TcpSocketState state;
                byte[] pending = new byte[0];
                try (Hold hold = s.send == Send.UNACKED ? new Hold(PORT, holdOn) : null) {
                    if (s.send != Send.NOTHING) {
                        byte[] toB = random(s.sendBytes, 3);
                        accepted.configureBlocking(false);
                        int n = accepted.write(ByteBuffer.wrap(toB));
                        accepted.configureBlocking(true);
                        pending = Arrays.copyOf(toB, n);
                        aStream.write(pending);
                        settle(() -> outq(afd) * 31 + unsent(afd));
                    }
                    try (Hold holdForCapture = hold == null ? new Hold(PORT, holdOn) : null) {
                        int outq = outq(afd);
                        TcpSocket dup = grabOwn(afd);
                        RepairSession session = RepairSession.enter(dup);
                        state = session.snapshot();
                        accepted.close();
                        session.closeSilently();

                        assertCaptured(s, state, toA, pending, outq);
                        TcpSocketState fromJson = StateJson.read(StateJson.write(state));
                        sysctl(a, rebuildSysctls);
                        TcpSocket rebuilt = a.netns().call(() -> SocketCapture.rebuild(fromJson));
                        try {
                            timeouts(rebuilt.fd());
                            assertFalse(inRepairMode(rebuilt.fd()), "rebuilt socket left repair mode");
                            assertEquals(0, dev.baton.socket.internal.Libc.getsockoptInt(rebuilt.fd(),
                                    dev.baton.socket.internal.Libc.SOL_TCP, dev.baton.socket.internal.Libc.TCP_NOTSENT_LOWAT),
                                    "TCP_NOTSENT_LOWAT back to the namespace default");
                            assertSameConnection(state, SocketCapture.capture(rebuilt));
                        } catch (Throwable t) {
                            rebuilt.close();
                            throw t;
                        }
                        // release both holds, then exchange
                        if (holdForCapture != null) holdForCapture.close();
                        if (hold != null) hold.close();
                        exchange(rebuilt, client, toA, aStream);
                    }
                }
            }
        }
    }

    private static void assertCaptured(Scenario s, TcpSocketState state, byte[] toA, byte[] pending, int outq) {
        assertEquals(TcpState.ESTABLISHED, state.state());
        assertEquals(s.net == Net.INET_VETH ? Family.INET : Family.INET6, state.family());
        assertArrayEquals(toA, state.receiveQueue().data(), "receive queue holds exactly the unread bytes");
        assertEquals(outq, state.sendQueue().length());
        assertArrayEquals(Arrays.copyOfRange(pending, pending.length - outq, pending.length), state.sendQueue().bytes(),
                "send queue holds the tail of what was written");
        switch (s.send) {
            case UNSENT -> assertTrue(state.sendQueue().unsent().length > 0, "unsent bytes: " + state.sendQueue());
            case UNACKED -> assertTrue(state.sendQueue().unacked().length > 0, "unacked bytes: " + state.sendQueue());
            case NOTHING -> assertEquals(0, state.sendQueue().length());
        }
        if (s.warmCwnd) {
            assertTrue(state.sendQueue().unacked().length > 10 * state.options().mssClamp(),
                    "more than one initial window in flight: " + state.sendQueue());
        }
        TcpOptions o = state.options();
        assertEquals(s.sack, o.sack(), "SACK");
        assertEquals(s.timestamps, o.timestamps(), "timestamps");
        assertEquals(s.windowScaling, o.windowScale() != null, "window scaling");
        assertEquals(s.net == Net.INET6_LOOPBACK ? 65476 : 1460, o.mssClamp(), "MSS clamp");
        assertNotNull(state.window(), "this kernel reports the repair window");
    }

    /** The rebuilt socket, captured while the flow is still held, is the original connection. */
    static void assertSameConnection(TcpSocketState original, TcpSocketState rebuilt) {
        assertEquals(original.family(), rebuilt.family());
        assertEquals(original.local(), rebuilt.local());
        assertEquals(original.remote(), rebuilt.remote());
        assertEquals(TcpState.ESTABLISHED, rebuilt.state());
        assertEquals(original.receiveQueue().seq(), rebuilt.receiveQueue().seq(), "receive seq (copied_seq)");
        assertEquals(original.receiveQueue().endSeq(), rebuilt.receiveQueue().endSeq(), "rcv_nxt");
        assertEquals(original.receiveQueue(), rebuilt.receiveQueue(), "receive queue bytes");
        assertEquals(original.sendQueue().seq(), rebuilt.sendQueue().seq(), "snd_una");
        assertEquals(original.sendQueue().endSeq(), rebuilt.sendQueue().endSeq(), "write_seq");
        assertArrayEquals(original.sendQueue().bytes(), rebuilt.sendQueue().bytes(), "send queue bytes");
        assertEquals(original.options(), rebuilt.options(), "options");
        if (original.timestamp() == null) {
            assertNull(rebuilt.timestamp());
        } else {
            long ahead = Seq.distance(rebuilt.timestamp(), original.timestamp());
            assertTrue(ahead >= 0 && ahead < 60_000, "timestamp clock continued: " + original.timestamp() + " -> "
                    + rebuilt.timestamp());
        }
    }

    /** Both directions: the rest of what was queued, then new bytes; every byte exactly once, in order. */
    static void exchange(TcpSocket rebuilt, SocketChannel client, byte[] queuedForA, ByteArrayOutputStream aStream)
            throws Exception {
        try (rebuilt) {
            byte[] fromB = random(100 * KIB, 4);
            byte[] fromA = random(100 * KIB, 5);
            aStream.write(fromA);
            byte[] expectedAtB = aStream.toByteArray();
            byte[] expectedAtA = concat(queuedForA, fromB);
            CompletableFuture<byte[]> atB = async(() -> readExactly(client, expectedAtB.length));
            CompletableFuture<byte[]> atA = async(() -> readExactly(rebuilt.channel(), expectedAtA.length));
            CompletableFuture<Object> wA = async(() -> {
                writeAll(rebuilt.channel(), fromA);
                return null;
            });
            CompletableFuture<Object> wB = async(() -> {
                writeAll(client, fromB);
                return null;
            });
            join(wA);
            join(wB);
            assertEquals(sha256(expectedAtB), sha256(join(atB)), "bytes a -> b (" + expectedAtB.length + " B)");
            assertEquals(sha256(expectedAtA), sha256(join(atA)), "bytes b -> a (" + expectedAtA.length + " B)");
            client.configureBlocking(false);
            assertEquals(0, client.read(ByteBuffer.allocate(1)), "nothing more, and no end of stream, at b");
            client.configureBlocking(true);
            assertEquals(0, inq(rebuilt.fd()), "nothing more at a");
        }
    }

    static byte[] concat(byte[] x, byte[] y) {
        byte[] r = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, r, x.length, y.length);
        return r;
    }
}
