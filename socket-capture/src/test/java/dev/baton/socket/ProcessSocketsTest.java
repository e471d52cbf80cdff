package dev.baton.socket;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a process's /proc tables say about its sockets, read for this very process. */
class ProcessSocketsTest {
    @Test
    void acceptQueuesShowsTheConnectionsQueuedOnAListenerUntilTheProcessAcceptsThem() throws Exception {
        List<SocketChannel> clients = new ArrayList<>();
        int pid = (int) ProcessHandle.current().pid();
        try (ServerSocketChannel server = ServerSocketChannel.open();
             ProcessSockets self = ProcessSockets.open(pid)) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            InetSocketAddress listening = (InetSocketAddress) server.getLocalAddress();
            long inode = self.list().stream().filter(e -> e.state() == TcpState.LISTEN && e.local().equals(listening))
                    .findFirst().orElseThrow().inode();
            assertFalse(ProcessSockets.acceptQueues(pid).containsKey(inode), "nothing queued yet");
            for (int i = 0; i < 3; i++) clients.add(SocketChannel.open(listening));
            assertEquals(3, ProcessSockets.acceptQueues(pid).get(inode), "three connections completed, none accepted");
            assertTrue(self.socketInodes().contains(inode), "the listener is this process's");

            server.accept().close();
            assertEquals(2, ProcessSockets.acceptQueues(pid).get(inode), "one accepted");
        } finally {
            for (SocketChannel c : clients) c.close();
        }
    }
}
