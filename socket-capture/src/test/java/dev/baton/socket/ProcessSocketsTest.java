package dev.baton.socket;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a process's /proc tables say about its sockets, read for this very process. */
class ProcessSocketsTest {
    @Test
    void pendingAcceptsCountsTheConnectionsQueuedOnTheProcesssListenersUntilItAcceptsThem() throws Exception {
        List<SocketChannel> clients = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open();
             ProcessSockets self = ProcessSockets.open((int) ProcessHandle.current().pid())) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            int before = self.pendingAccepts(); // other tests' listeners in this JVM, if any
            for (int i = 0; i < 3; i++) clients.add(SocketChannel.open(server.getLocalAddress()));
            assertEquals(before + 3, self.pendingAccepts(), "three connections completed, none accepted");

            server.accept().close();
            assertEquals(before + 2, self.pendingAccepts(), "one accepted");
            InetSocketAddress listening = (InetSocketAddress) server.getLocalAddress();
            assertTrue(self.list().stream().anyMatch(e -> e.state() == TcpState.LISTEN && e.local().equals(listening)),
                    "the listener is listed too");
        } finally {
            for (SocketChannel c : clients) c.close();
        }
    }
}
