package dev.baton.peer;

import dev.baton.netns.NetnsLab;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.RepairSession;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.TcpSocket;
import dev.baton.socket.TcpSocketState;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The gateway's strategy: its own end of a connection is replaced by a rebuilt socket aimed at the far end's new
 * host, the far end itself having moved there (rebuilt by socket-capture, as CRIU does for a workload).
 */
@Tag("privileged")
class SocketRebuildTest {

    @Test
    void aConnectionFollowsItsFarEndToAnotherHostWithBothQueuesIntact() throws Exception {
        try (NetnsLab lab = NetnsLab.create("gw", "a", "b")) {
            InetSocketAddress onA = new InetSocketAddress(lab.host("a").address(), 7000);
            InetSocketAddress onB = new InetSocketAddress(lab.host("b").address(), 7000);
            byte[] up = random(1, 100_000);
            byte[] down = random(2, 60_000);
            try (ServerSocketChannel server = lab.host("a").netns().call(() -> ServerSocketChannel.open().bind(onA));
                 SocketChannel gw = lab.host("gw").netns().call(() -> SocketChannel.open(onA));
                 SocketChannel workload = server.accept();
                 ProcessSockets self = ProcessSockets.open((int) ProcessHandle.current().pid())) {
                // Bytes queued both ways, unread: they must survive the move.
                writeAll(gw, up, 0, 40_000);
                writeAll(workload, down, 0, 20_000);
                Thread.sleep(100); // let everything in flight land: nothing holds this flow

                TcpSocket gwEnd = self.grab(fd(self, onA));
                TcpSocket farEnd = self.grab(fd(self, gw.getLocalAddress()));
                RepairSession far = RepairSession.enter(farEnd);
                TcpSocketState farState = far.snapshot();
                try (SocketRebuild rebuild = SocketRebuild.begin(gwEnd)) {
                    // The originals go, silently (both in repair mode): the far end "moves" to b.
                    far.closeSilently();
                    workload.close();
                    gwEnd.close();
                    gw.close();
                    TcpSocketState moved = farState.withLocal(onB).reconciledWith(rebuild.before().receiveQueue().endSeq());
                    RepairSession onBSession = lab.host("b").netns().get(() -> RepairSession.rebuild(moved));
                    lab.host("gw").netns().run(() -> rebuild.aim(onB, farState.receiveQueue().endSeq()));
                    assertEquals(onB, rebuild.socket().remoteAddress());
                    assertEquals(rebuild.before().local(), rebuild.socket().localAddress(), "same local port: same connection");
                    onBSession.resume();
                    rebuild.resume();

                    try (TcpSocket gwNew = rebuild.socket(); TcpSocket bNew = onBSession.socket()) {
                        gwNew.configureBlocking(true);
                        bNew.configureBlocking(true);
                        Thread writer = Thread.ofVirtual().start(() -> {
                            try {
                                writeAll(gwNew.channel(), up, 40_000, up.length);
                                writeAll(bNew.channel(), down, 20_000, down.length);
                            } catch (IOException e) {
                                throw new RuntimeException(e);
                            }
                        });
                        assertArrayEquals(up, readN(bNew.channel(), up.length), "gateway -> workload, byte-exact");
                        assertArrayEquals(down, readN(gwNew.channel(), down.length), "workload -> gateway, byte-exact");
                        writer.join();
                    }
                }
            }
        }
    }

    @Test
    void closingBeforeResumeLeavesNoSocketBehind() throws Exception {
        try (NetnsLab lab = NetnsLab.create("gw", "a")) {
            InetSocketAddress onA = new InetSocketAddress(lab.host("a").address(), 7000);
            try (ServerSocketChannel server = lab.host("a").netns().call(() -> ServerSocketChannel.open().bind(onA));
                 SocketChannel gw = lab.host("gw").netns().call(() -> SocketChannel.open(onA));
                 SocketChannel workload = server.accept();
                 ProcessSockets self = ProcessSockets.open((int) ProcessHandle.current().pid())) {
                TcpSocket gwEnd = self.grab(fd(self, onA));
                int before = self.list().size();
                SocketRebuild rebuild = SocketRebuild.begin(gwEnd);
                lab.host("gw").netns().run(() -> rebuild.aim(new InetSocketAddress(lab.host("a").address(), 7001),
                        rebuild.before().sendQueue().seq()));
                assertEquals(before + 1, self.list().size(), "the rebuilt socket");
                rebuild.close();
                assertEquals(before, self.list().size(), "closed silently");
                assertThrows(IllegalStateException.class, rebuild::socket);
                gwEnd.close();
            }
        }
    }

    private static int fd(ProcessSockets self, Object remote) {
        return self.list().stream().filter(e -> e.remote().equals(remote)).mapToInt(SocketEntry::fd).findFirst()
                .orElseThrow();
    }

    private static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void writeAll(java.nio.channels.WritableByteChannel ch, byte[] b, int from, int to) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b, from, to - from);
        while (buf.hasRemaining()) ch.write(buf);
    }

    private static byte[] readN(java.nio.channels.ReadableByteChannel ch, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) fail("EOF after " + buf.position() + " of " + n + " bytes");
        }
        return Arrays.copyOf(buf.array(), n);
    }
}
