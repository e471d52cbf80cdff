package dev.baton.socket.audit;

import dev.baton.netns.NetnsLab;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

@Tag("privileged")
class WireCaptureTest {
    private static final int MIB = 1 << 20;
    private static final int PORT = 7000;

    @TempDir
    Path dir;

    @Test
    void aMebibyteEachWayBetweenNamespacesIsCapturedAndAuditsClean() throws Exception {
        Path file = dir.resolve("peer.pcap");
        try (NetnsLab lab = NetnsLab.create("peer", "a")) {
            NetnsLab.Host peer = lab.host("peer"), a = lab.host("a");
            InetSocketAddress service = new InetSocketAddress(a.address(), PORT);
            InetSocketAddress peerEnd;
            WireCapture capture = WireCapture.start(peer.netns(), "eth0", "tcp port " + PORT, file);
            try (capture;
                 ServerSocketChannel server = a.netns().call(() -> ServerSocketChannel.open().bind(service))) {
                CompletableFuture<Void> serverSide = CompletableFuture.runAsync(() -> echoBack(server));
                try (SocketChannel client = peer.netns().call(() -> SocketChannel.open(service))) {
                    peerEnd = (InetSocketAddress) client.getLocalAddress();
                    writeFully(client, MIB);
                    assertEquals(MIB, readToEnd(client, false));
                    client.shutdownOutput();
                    assertEquals(0, readToEnd(client, true), "the server closes after our FIN, sending nothing more");
                }
                serverSide.get(30, TimeUnit.SECONDS);
            }
            WireCapture.Stats stats = capture.stats();

            WireReport r = WireAudit.analyze(file, peerEnd);

            assertTrue(stats.captured() > 0, stats.toString());
            assertEquals(0, stats.dropped(), stats.toString());
            // Payload bytes count retransmissions too: exactly a MiB each way unless the kernel retransmitted.
            for (DirectionReport d : java.util.List.of(r.fromPeer(), r.toPeer())) {
                if (d.retransmissions() == 0) assertEquals(MIB, d.payloadBytes(), r.summary());
                else assertTrue(d.payloadBytes() > MIB, r.summary());
            }
            assertEquals(0, r.rstCount(), r.summary());
            assertEquals(0, r.toPeer().holes() + r.fromPeer().holes(), r.summary());
            assertEquals(1, r.toPeer().finCount(), r.summary());
            assertEquals(1, r.fromPeer().finCount(), r.summary());
            assertTrue(r.isClean(), r.summary());
        }
    }

    @Test
    void startingOnAnInterfaceTheNamespaceLacksSaysSo() {
        try (NetnsLab lab = NetnsLab.create("peer")) {
            IOException e = assertThrows(IOException.class,
                    () -> WireCapture.start(lab.host("peer").netns(), "nope0", "tcp", dir.resolve("x.pcap")));
            assertTrue(e.getMessage().startsWith("no such interface: nope0 in netns "), e.getMessage());
        }
    }

    @Test
    void aFilterThatDoesNotCompileIsRejected() {
        try (NetnsLab lab = NetnsLab.create("peer")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WireCapture.start(lab.host("peer").netns(), "eth0", "tcp port banana", dir.resolve("x.pcap")));
            assertTrue(e.getMessage().startsWith("invalid BPF filter 'tcp port banana': "), e.getMessage());
        }
    }

    /** Reads a MiB, sends a MiB back, then closes once the client has finished sending. */
    private static void echoBack(ServerSocketChannel server) {
        try (SocketChannel s = server.accept()) {
            assertEquals(MIB, readToEnd(s, false));
            writeFully(s, MIB);
            assertEquals(0, readToEnd(s, true));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeFully(SocketChannel ch, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) ch.write(buf);
    }

    /** Reads a MiB, or everything up to end-of-stream when {@code toEnd}; returns the byte count. */
    private static int readToEnd(SocketChannel ch, boolean toEnd) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(MIB + 1);
        int total = 0;
        while (toEnd || total < MIB) {
            int n = ch.read(buf);
            if (n < 0) break;
            total += n;
        }
        return total;
    }
}
