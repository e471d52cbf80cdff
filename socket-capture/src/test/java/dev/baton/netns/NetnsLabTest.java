package dev.baton.netns;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.*;

@Tag("privileged")
class NetnsLabTest {
    @Test
    void hostsReachEachOtherOverTheBridgeAndVanishOnClose() throws Exception {
        NetnsLab.Host a;
        try (NetnsLab lab = NetnsLab.create("peer", "a")) {
            a = lab.host("a");
            NetnsLab.Host peer = lab.host("peer");
            assertTrue(a.address().getHostAddress().matches("198\\.1[89]\\.\\d+\\.2"), a.address().toString());
            InetSocketAddress service = new InetSocketAddress(a.address(), 7000);
            try (ServerSocketChannel server = a.netns().call(() -> ServerSocketChannel.open().bind(service));
                 SocketChannel client = peer.netns().call(() -> SocketChannel.open(service));
                 SocketChannel accepted = server.accept()) {
                client.write(ByteBuffer.wrap(new byte[]{42}));
                ByteBuffer one = ByteBuffer.allocate(1);
                accepted.read(one);
                assertEquals(42, one.get(0));
                assertEquals(peer.address(), ((InetSocketAddress) accepted.getRemoteAddress()).getAddress());
            }
        }
        assertFalse(Files.exists(a.netns().path()), "namespace removed on close");
    }
}
