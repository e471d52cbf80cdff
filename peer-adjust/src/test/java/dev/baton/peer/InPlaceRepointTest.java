package dev.baton.peer;

import dev.baton.netns.NetnsLab;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.SocketEntry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import static org.junit.jupiter.api.Assertions.*;

@Tag("privileged")
class InPlaceRepointTest {

    @Test
    void closingBeforeResumeRebuildsTheOriginalConnectionInTheSameSocket() throws Exception {
        try (NetnsLab lab = NetnsLab.create("peer", "a", "b")) {
            InetSocketAddress service = new InetSocketAddress(lab.host("a").address(), 7000);
            try (ServerSocketChannel server = lab.host("a").netns().call(() -> ServerSocketChannel.open().bind(service));
                 SocketChannel peer = lab.host("peer").netns().call(() -> SocketChannel.open(service));
                 SocketChannel workload = server.accept();
                 ProcessSockets self = ProcessSockets.open((int) ProcessHandle.current().pid())) {
                int fd = self.list().stream().filter(e -> e.remote().equals(service)).mapToInt(SocketEntry::fd)
                        .findFirst().orElseThrow();
                try (InPlaceRepoint repoint = InPlaceRepoint.begin(self.grab(fd))) {
                    assertEquals(service, repoint.before().remote());
                    repoint.aim(new InetSocketAddress(lab.host("b").address(), 7000),
                            repoint.before().sendQueue().seq());
                } // closed before resume: rolled back
                SocketEntry after = self.list().stream().filter(e -> e.fd() == fd).findFirst().orElseThrow();
                assertEquals(service, after.remote(), "the kernel's socket behind the same fd: original peer again");
                peer.write(ByteBuffer.wrap(new byte[]{7}));
                workload.write(ByteBuffer.wrap(new byte[]{9}));
                ByteBuffer atWorkload = ByteBuffer.allocate(1);
                ByteBuffer atPeer = ByteBuffer.allocate(1);
                workload.read(atWorkload);
                peer.read(atPeer);
                assertEquals(7, atWorkload.get(0));
                assertEquals(9, atPeer.get(0));
            }
        }
    }
}
