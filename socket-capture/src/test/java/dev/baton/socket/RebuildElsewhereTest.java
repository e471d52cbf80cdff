package dev.baton.socket;

import dev.baton.netns.Commands;
import dev.baton.netns.NetnsLab;
import dev.baton.netns.NetnsLab.Host;
import dev.baton.socket.internal.Libc;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;

import static dev.baton.socket.LabSockets.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A connection moves to another address: rebuilt on another host under the address it had (which that host
 * does not have yet: IP_FREEBIND, then the address moves), rebuilt under the new host's own address with the
 * peer re-pointed in place, or re-pointed to a second address of the same host. Server side "a" is moved; the
 * client on "b" is the peer, a Java channel that keeps its fd throughout.
 */
@Tag("privileged")
class RebuildElsewhereTest {
    private static final int PORT = 7000;

    enum Sockets {
        INET(StandardProtocolFamily.INET), INET6_MAPPED(StandardProtocolFamily.INET6);

        final ProtocolFamily pf;

        Sockets(ProtocolFamily pf) {
            this.pf = pf;
        }
    }

    private record Connection(ServerSocketChannel server, SocketChannel client, SocketChannel accepted,
                              byte[] queuedAtA, ByteArrayOutputStream aStream) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            try (server; client; accepted) {
                // closes all three
            }
        }
    }

    /** b connects to a; each side has written bytes the other has not read yet. */
    private static Connection connect(Host a, Host b, Sockets kind) throws Exception {
        InetSocketAddress service = new InetSocketAddress(a.address(), PORT);
        ServerSocketChannel server = a.netns().call(() -> ServerSocketChannel.open(kind.pf)
                .bind(kind == Sockets.INET ? service : new InetSocketAddress(InetAddress.ofLiteral("::"), PORT)));
        SocketChannel client = b.netns().call(() -> SocketChannel.open(kind.pf));
        client.connect(service);
        SocketChannel accepted = server.accept();
        timeouts(client);
        byte[] toA = random(64 * 1024, 11);
        byte[] toB = random(32 * 1024, 12);
        writeAll(client, toA);
        writeAll(accepted, toB);
        int afd = fdOf(accepted), bfd = fdOf(client);
        await("a's receive queue", () -> inq(afd), toA.length);
        await("b's receive queue", () -> inq(bfd), toB.length);
        ByteArrayOutputStream aStream = new ByteArrayOutputStream();
        aStream.write(toB);
        return new Connection(server, client, accepted, toA, aStream);
    }

    /** Captures a's side of the connection and closes it silently, the way a migrating process loses it. */
    private static TcpSocketState captureAndRelease(SocketChannel accepted) throws Exception {
        TcpSocket dup = grabOwn(fdOf(accepted));
        RepairSession session = RepairSession.enter(dup);
        TcpSocketState state = session.snapshot();
        accepted.close();
        session.closeSilently();
        return state;
    }

    private static boolean freebind(TcpSocket s, Sockets kind) {
        return kind == Sockets.INET ? Libc.getsockoptInt(s.fd(), Libc.SOL_IP, Libc.IP_FREEBIND) != 0
                : Libc.getsockoptInt(s.fd(), Libc.SOL_IPV6, Libc.IPV6_FREEBIND) != 0;
    }

    @ParameterizedTest
    @EnumSource(Sockets.class)
    void aConnectionRebuiltOnAHostWithoutItsAddressCarriesOnOnceTheAddressMovesThere(Sockets kind) throws Exception {
        try (NetnsLab lab = NetnsLab.create("a", "b", "c");
             Connection conn = connect(lab.host("a"), lab.host("b"), kind)) {
            Host a = lab.host("a"), b = lab.host("b"), c = lab.host("c");
            TcpSocket rebuilt;
            try (Hold hold = new Hold(PORT, a, b, c)) {
                TcpSocketState state = captureAndRelease(conn.accepted());
                rebuilt = c.netns().call(() -> SocketCapture.rebuild(state));
                assertTrue(freebind(rebuilt, kind), "bound with FREEBIND: c does not have " + a.address());
                assertEquals(state.local(), rebuilt.localAddress());
                assertEquals(state.remote(), rebuilt.remoteAddress());
                RebuildRoundTripTest.assertSameConnection(state, SocketCapture.capture(rebuilt));
                String cidr = a.address().getHostAddress() + "/24 dev eth0\n";
                Commands.ip(a.nsName(), "addr del " + cidr);
                Commands.ip(c.nsName(), "addr add " + cidr);
                Commands.ip(b.nsName(), "neigh flush all\n");
            }
            RebuildRoundTripTest.exchange(rebuilt, conn.client(), conn.queuedAtA(), conn.aStream());
        }
    }

    enum Target { ANOTHER_HOST, SECOND_ADDRESS_OF_THE_SAME_HOST }

    @ParameterizedTest
    @EnumSource(Target.class)
    void aConnectionRebuiltUnderANewLocalAddressCarriesOnOnceThePeerIsRepointedInPlace(Target target) throws Exception {
        for (Sockets kind : Sockets.values()) {
            try (NetnsLab lab = NetnsLab.create("a", "b", "c");
                 Connection conn = connect(lab.host("a"), lab.host("b"), kind)) {
                Host a = lab.host("a"), b = lab.host("b");
                Host to = target == Target.ANOTHER_HOST ? lab.host("c") : a;
                InetAddress newIp = to == a ? lab.address(200) : to.address();
                if (to == a) Commands.ip(a.nsName(), "addr add " + newIp.getHostAddress() + "/24 dev eth0\n");
                InetSocketAddress newLocal = new InetSocketAddress(newIp, PORT);
                int clientFd = fdOf(conn.client());
                TcpSocket rebuilt;
                try (Hold hold = new Hold(PORT, a, b, lab.host("c"))) {
                    TcpSocketState state = captureAndRelease(conn.accepted());
                    rebuilt = to.netns().call(() -> SocketCapture.rebuild(state.withLocal(newLocal)));
                    assertFalse(freebind(rebuilt, kind), "no FREEBIND for an address the host has");
                    assertEquals(newLocal, rebuilt.localAddress());
                    RebuildRoundTripTest.assertSameConnection(state.withLocal(newLocal), SocketCapture.capture(rebuilt));

                    TcpSocketState clientBefore;
                    try (TcpSocket dup = grabOwn(clientFd)) {
                        clientBefore = SocketCapture.repoint(dup, newLocal);
                        assertEquals(state.local(), clientBefore.remote());
                        RebuildRoundTripTest.assertSameConnection(clientBefore.withRemote(newLocal),
                                SocketCapture.capture(dup));
                    }
                    assertFalse(inRepairMode(clientFd), "the re-pointed socket left repair mode");
                    assertEquals(newLocal, TcpSocket.borrow(clientFd).remoteAddress(), "getpeername after re-point");
                    assertEquals(clientBefore.local(), TcpSocket.borrow(clientFd).localAddress());
                }
                RebuildRoundTripTest.exchange(rebuilt, conn.client(), conn.queuedAtA(), conn.aStream());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Sockets.class)
    void aFailedRepointRollsBackToTheOriginalConnection(Sockets kind) throws Exception {
        try (NetnsLab lab = NetnsLab.create("a", "b");
             Connection conn = connect(lab.host("a"), lab.host("b"), kind)) {
            Host a = lab.host("a"), b = lab.host("b");
            int clientFd = fdOf(conn.client());
            InetSocketAddress original = (InetSocketAddress) conn.client().getRemoteAddress();
            // A peer in another /24 of 198.18.0.0/15: the lab hosts have no route there.
            byte[] elsewhere = a.address().getAddress();
            elsewhere[2] ^= 1;
            InetSocketAddress impossible = new InetSocketAddress(InetAddress.getByAddress(elsewhere), PORT);
            try (Hold hold = new Hold(PORT, a, b); TcpSocket dup = grabOwn(clientFd)) {
                TcpSocketState before = SocketCapture.capture(dup);
                SocketCaptureException e = assertThrows(SocketCaptureException.class,
                        () -> SocketCapture.repoint(dup, impossible));
                assertFalse(inRepairMode(clientFd));
                assertEquals(original, TcpSocket.borrow(clientFd).remoteAddress());
                RebuildRoundTripTest.assertSameConnection(before, SocketCapture.capture(dup));
                assertEquals(SocketCaptureException.Reason.FAILED, e.reason(), e.getMessage());
                assertTrue(e.getMessage().contains("ENETUNREACH"), e.getMessage());
            }
            // the original connection still carries bytes both ways
            byte[] more = random(1000, 13);
            writeAll(conn.client(), more);
            CompletableFuture<byte[]> atA = async(() -> readExactly(conn.accepted(), conn.queuedAtA().length + 1000));
            assertArrayEquals(RebuildRoundTripTest.concat(conn.queuedAtA(), more), join(atA));
            byte[] atB = readExactly(conn.client(), conn.aStream().size());
            assertArrayEquals(conn.aStream().toByteArray(), atB);
        }
    }
}
