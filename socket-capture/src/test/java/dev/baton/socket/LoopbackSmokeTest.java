package dev.baton.socket;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

@org.junit.jupiter.api.Tag("privileged")
class LoopbackSmokeTest {
    @Test
    void rebuildKeepsBytesAndSequence() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel accepted = server.accept();
            byte[] toServer = new byte[100_000];
            new Random(1).nextBytes(toServer);
            client.write(ByteBuffer.wrap(toServer));
            Thread.sleep(50);
            int port = ((InetSocketAddress) accepted.getLocalAddress()).getPort();
            int clientPort = ((InetSocketAddress) client.getLocalAddress()).getPort();
            int pid = (int) ProcessHandle.current().pid();
            TcpSocketState state;
            try (ProcessSockets self = ProcessSockets.open(pid)) {
                SocketEntry e = self.list().stream()
                        .filter(x -> x.local().getPort() == port && x.remote().getPort() == clientPort)
                        .findFirst().orElseThrow();
                TcpSocket dup = self.grab(e.fd());
                RepairSession session = RepairSession.enter(dup);
                state = session.snapshot();
                System.out.println(StateJson.write(state).substring(0, 400));
                assertEquals(state, StateJson.read(StateJson.write(state)));
                accepted.close();
                session.closeSilently();
            }
            assertEquals(toServer.length, state.receiveQueue().length());
            TcpSocket rebuilt = SocketCapture.rebuild(state);
            ByteChannel ch = rebuilt.channel();
            ByteBuffer got = ByteBuffer.allocate(toServer.length);
            while (got.hasRemaining()) ch.read(got);
            assertArrayEquals(toServer, got.array());
            ch.write(ByteBuffer.wrap("hello".getBytes()));
            ByteBuffer back = ByteBuffer.allocate(5);
            while (back.hasRemaining()) client.read(back);
            assertEquals("hello", new String(back.array()));
            TcpSocketState after = SocketCapture.capture(rebuilt);
            assertEquals(state.receiveQueue().endSeq(), after.receiveQueue().endSeq());
            ch.close();
            client.close();
        }
    }
}
