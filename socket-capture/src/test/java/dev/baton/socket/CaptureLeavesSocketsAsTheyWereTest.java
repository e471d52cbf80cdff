package dev.baton.socket;

import dev.baton.netns.NetnsLab;
import dev.baton.netns.NetnsLab.Host;
import dev.baton.socket.internal.Libc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import static dev.baton.socket.LabSockets.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Capturing a socket, or re-pointing it at the address it already has, changes nothing its owner can see:
 * queued bytes stay queued, sequence numbers and options stay, SO_REUSEADDR keeps the owner's value (the kernel
 * clears it when repair mode ends), and the socket is not left in repair mode.
 */
@Tag("privileged")
class CaptureLeavesSocketsAsTheyWereTest {
    private static NetnsLab lab;
    private static Host host;

    @BeforeAll
    static void lab() {
        lab = NetnsLab.create("a");
        host = lab.host("a");
    }

    @AfterAll
    static void closeLab() {
        if (lab != null) lab.close();
    }

    private static boolean reuseAddress(int fd) {
        return Libc.getsockoptInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR) != 0;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void captureAndInPlaceRepointKeepEverythingTheOwnerSees(boolean ownerReuseAddress) throws Exception {
        try (ServerSocketChannel server = host.netns().call(() -> ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
             SocketChannel client = host.netns().call(() -> {
                 SocketChannel c = SocketChannel.open();
                 c.setOption(StandardSocketOptions.SO_REUSEADDR, ownerReuseAddress);
                 c.connect(server.getLocalAddress());
                 return c;
             });
             SocketChannel accepted = server.accept()) {
            timeouts(client);
            timeouts(accepted);
            int cfd = fdOf(client), afd = fdOf(accepted);
            boolean acceptedReuse = reuseAddress(afd);
            byte[] toAccepted = random(20_000, 31), toClient = random(30_000, 32);
            writeAll(client, toAccepted);
            writeAll(accepted, toClient);
            await("accepted's receive queue", () -> inq(afd), toAccepted.length);
            await("client's receive queue", () -> inq(cfd), toClient.length);

            TcpSocketState first = SocketCapture.capture(TcpSocket.borrow(cfd));
            TcpSocketState second = SocketCapture.capture(TcpSocket.borrow(cfd));
            RebuildRoundTripTest.assertSameConnection(first, second);
            assertArrayEquals(toClient, first.receiveQueue().data());
            SocketCapture.capture(TcpSocket.borrow(afd));
            assertEquals(ownerReuseAddress, reuseAddress(cfd), "client's SO_REUSEADDR after capture");
            assertEquals(acceptedReuse, reuseAddress(afd), "accepted socket's SO_REUSEADDR after capture");

            InetSocketAddress peer = TcpSocket.borrow(cfd).remoteAddress();
            try (TcpSocket dup = grabOwn(cfd)) {
                TcpSocketState before = SocketCapture.repoint(dup, peer);
                RebuildRoundTripTest.assertSameConnection(before, SocketCapture.capture(dup));
                RebuildRoundTripTest.assertSameConnection(first, before);
            }
            // an accepted socket keeps its port bound across the disconnect: the rebuild must not bind it again
            TcpSocketState acceptedFirst = SocketCapture.capture(TcpSocket.borrow(afd));
            try (TcpSocket dup = grabOwn(afd)) {
                TcpSocketState before = SocketCapture.repoint(dup, TcpSocket.borrow(afd).remoteAddress());
                RebuildRoundTripTest.assertSameConnection(acceptedFirst, before);
                RebuildRoundTripTest.assertSameConnection(before, SocketCapture.capture(dup));
            }
            assertEquals(acceptedReuse, reuseAddress(afd), "accepted socket's SO_REUSEADDR after re-point");
            assertEquals(ownerReuseAddress, reuseAddress(cfd), "client's SO_REUSEADDR after re-point");
            assertEquals(first.local(), TcpSocket.borrow(cfd).localAddress(), "same local port after re-point");
            assertFalse(inRepairMode(cfd));
            assertFalse(inRepairMode(afd));

            // the queued bytes are still there, then new ones follow, both ways
            byte[] more = random(5_000, 33);
            writeAll(accepted, more);
            assertArrayEquals(RebuildRoundTripTest.concat(toClient, more), readExactly(client, toClient.length + more.length));
            writeAll(client, more);
            assertArrayEquals(RebuildRoundTripTest.concat(toAccepted, more),
                    readExactly(accepted, toAccepted.length + more.length));
        }
    }
}
