package dev.baton.e2e;

import dev.baton.cli.Baton;
import dev.baton.cli.Cli;
import dev.baton.netns.NetnsLab;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.*;

/** {@code baton wire capture} records a flow inside a namespace; {@code baton wire audit} judges it. */
@Tag("privileged")
class WireCommandTest {

    @Test
    void aCapturedCleanExchangeIsAuditedClean(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("flow.pcap");
        InetSocketAddress peerEnd;
        try (NetnsLab lab = NetnsLab.create("peer", "a")) {
            InetSocketAddress service = new InetSocketAddress(lab.host("a").address(), 7000);
            CompletableFuture<Integer> capture = CompletableFuture.supplyAsync(() -> Baton.commandLine().execute(
                    "wire", "capture", "--netns", lab.host("peer").nsName(), "--interface", "eth0",
                    "--filter", "tcp port 7000", "--out", pcap.toString(), "--duration", "1500ms"));
            Thread.sleep(700); // the capture is open well before the connection
            try (ServerSocketChannel server = lab.host("a").netns().call(() -> ServerSocketChannel.open().bind(service));
                 SocketChannel peer = lab.host("peer").netns().call(() -> SocketChannel.open(service));
                 SocketChannel workload = server.accept()) {
                peerEnd = (InetSocketAddress) peer.getLocalAddress();
                peer.write(ByteBuffer.allocate(100_000));
                ByteBuffer in = ByteBuffer.allocate(100_000);
                while (in.hasRemaining()) workload.read(in);
            }
            assertEquals(0, capture.get());
        }
        Cli audit = Cli.run("wire", "audit", pcap.toString(), "--peer",
                peerEnd.getAddress().getHostAddress() + ":" + peerEnd.getPort());
        assertEquals(0, audit.exitCode(), audit.out() + audit.err());
        assertTrue(audit.out().contains("from peer:") && audit.out().contains("100.0 kB"), audit.out());
        assertTrue(audit.out().contains("clean: no RST"), audit.out());
    }
}
