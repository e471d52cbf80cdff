package dev.baton.ckpt.image;

import dev.baton.netns.NetnsLab;
import dev.baton.netns.NetnsLab.Host;
import dev.baton.socket.Family;
import dev.baton.socket.TcpState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real images: a Python workload on lab host "a" listens on a's address, on the wildcard address and on
 * loopback, and holds a connection from "peer" with bytes in both queues (the peer sent a line the workload does
 * not read; the workload filled its send queue towards a peer that does not read). CRIU's command line dumps it
 * once; each test works on its own copy of the images. The restore test moves the workload to host "b".
 */
@Tag("privileged")
class CriuImagesTest {
    private static final int PORT = 7000;
    private static final byte[] HELLO = "hello from the peer, never read\n".getBytes(StandardCharsets.US_ASCII);
    /** Listens three ways, accepts one connection, then writes a counting pattern (byte i = i mod 256) until full. */
    private static final String SERVER = """
            import socket, sys, time
            def listen(ip, port):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((ip, port))
                s.listen(8)
                return s
            own = listen(sys.argv[1], 7000)
            anywhere = listen("0.0.0.0", 7001)
            local = listen("127.0.0.1", 7002)
            print("listening", flush=True)
            c, peer = own.accept()
            c.setblocking(False)
            pattern = bytes(range(256)) * 256
            sent = 0
            try:
                while True:
                    sent += c.send(pattern[sent % 256:] + pattern[:sent % 256])
            except BlockingIOError:
                pass
            print("sent %d" % sent, flush=True)
            while True:
                time.sleep(1)
            """;

    private static NetnsLab lab;
    private static Host a, b, peer;
    private static Path work;
    private static Path dumped;
    private static SocketChannel client;
    private static long sentByWorkload;
    private static long sendQueueAtDump;

    @BeforeAll
    static void dumpAWorkloadWithAConnection() throws Exception {
        lab = NetnsLab.create("a", "b", "peer");
        a = lab.host("a");
        b = lab.host("b");
        peer = lab.host("peer");
        work = Files.createTempDirectory("baton-images");
        dumped = Files.createDirectory(work.resolve("dump"));
        try (Workload workload = Workload.start(a, work, SERVER, a.address().getHostAddress())) {
            workload.await("listening");
            client = peer.netns().call(() -> {
                SocketChannel ch = SocketChannel.open();
                ch.setOption(StandardSocketOptions.SO_RCVBUF, 8192); // the workload's send queue fills quickly
                return ch;
            });
            client.connect(new InetSocketAddress(a.address(), PORT));
            client.write(ByteBuffer.wrap(HELLO));
            sentByWorkload = Long.parseLong(workload.await("sent ").substring(5));
            sendQueueAtDump = awaitQuietConnection();
            CriuCli.dump(a, workload.pid(), dumped);
        }
    }

    /** Waits until a's side of the connection holds the peer's line and its send queue stops moving. */
    private static long awaitQuietConnection() throws Exception {
        long last = -1;
        for (int i = 0; i < 200; i++) {
            String[] row = a.netns().exec(null, "ss", "-tnH", "state", "established", "( sport = :" + PORT + " )")
                    .strip().split("\\s+");
            long recvQ = Long.parseLong(row[0]);
            long sendQ = Long.parseLong(row[1]);
            if (recvQ == HELLO.length && sendQ == last) return sendQ;
            last = sendQ;
            Thread.sleep(50);
        }
        throw new AssertionError("a's connection never settled");
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try {
            if (client != null) client.close();
            if (work != null) deleteTree(work);
        } finally {
            if (lab != null) lab.close();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static Path copyOfTheDump(String name) throws IOException {
        Path copy = Files.createDirectory(work.resolve(name));
        try (Stream<Path> files = Files.list(dumped)) {
            for (Path f : files.toList()) Files.copy(f, copy.resolve(f.getFileName()));
        }
        return copy;
    }

    private static boolean isImage(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".img") || name.startsWith("stats-");
    }

    @Test
    void everyImageOfTheDumpExceptRawPageDataDecodesAndEncodesToTheSameBytes() throws Exception {
        List<String> decoded = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        try (Stream<Path> files = Files.list(dumped)) {
            for (Path file : files.filter(CriuImagesTest::isImage).sorted().toList()) {
                byte[] bytes = Files.readAllBytes(file);
                try {
                    ImageFile image = ImageFile.read(file);
                    assertArrayEquals(bytes, image.encode(), file.getFileName() + " re-encodes byte for byte");
                    decoded.add(file.getFileName().toString());
                } catch (ImageFormatException e) {
                    refused.add(file.getFileName() + ": " + e.getMessage());
                }
            }
        }
        assertTrue(refused.stream().allMatch(r -> r.startsWith("pages-")), "only raw page data is refused: " + refused);
        assertFalse(refused.isEmpty(), "the dump has page data");
        for (String expected : List.of("inventory.img", "files.img", "pstree.img", "core-1.img", "mm-1.img",
                "pagemap-1.img", "fdinfo-2.img", "stats-dump")) {
            assertTrue(decoded.contains(expected), expected + " decoded: " + decoded);
        }
        assertTrue(decoded.stream().anyMatch(n -> n.startsWith("tcp-stream-")), "tcp stream decoded: " + decoded);
    }

    @Test
    void theInetSocketsOfTheDumpAreTheWorkloadsListenersAndItsConnection() throws Exception {
        ImageDir images = ImageDir.open(dumped);
        InetAddress any = InetAddress.ofLiteral("0.0.0.0");
        InetSocketAddress peerEnd = (InetSocketAddress) client.getLocalAddress();
        List<String> expected = List.of(
                row(TcpState.LISTEN, new InetSocketAddress(a.address(), PORT), new InetSocketAddress(any, 0)),
                row(TcpState.LISTEN, new InetSocketAddress(any, 7001), new InetSocketAddress(any, 0)),
                row(TcpState.LISTEN, new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 7002), new InetSocketAddress(any, 0)),
                row(TcpState.ESTABLISHED, new InetSocketAddress(a.address(), PORT), peerEnd));
        List<String> found = images.inetSockets().stream().map(s -> row(s.state(), s.local(), s.remote())).sorted().toList();
        assertEquals(expected.stream().sorted().toList(), found);
        assertTrue(images.inetSockets().stream().allMatch(s -> s.isTcp() && s.family() == Family.INET));
        assertEquals(List.of(1L), images.pids(), "the workload is PID 1 of its own namespace");
    }

    private static String row(TcpState state, InetSocketAddress local, InetSocketAddress remote) {
        return state + " " + local + " " + remote;
    }

    @Test
    void theConnectionsTcpStreamHoldsBothQueuesAsTheKernelHadThem() throws Exception {
        ImageDir images = ImageDir.open(dumped);
        InetSocketImage connection = images.inetSockets().stream()
                .filter(s -> s.state() == TcpState.ESTABLISHED).findFirst().orElseThrow();
        TcpStreamImage stream = images.tcpStream(connection).orElseThrow();
        assertArrayEquals(HELLO, stream.receiveQueue(), "the line the workload never read");
        assertEquals(sendQueueAtDump, stream.outqLength(), "ss's Send-Q");
        byte[] sendQueue = stream.sendQueue();
        assertEquals(stream.outqLength(), sendQueue.length);
        long firstOffset = sentByWorkload - sendQueue.length; // what the peer's kernel has taken
        for (int i = 0; i < sendQueue.length; i++) {
            if ((sendQueue[i] & 0xFF) != (firstOffset + i) % 256) fail("send queue byte " + i + " breaks the pattern");
        }
        assertTrue(stream.unsentLength() <= stream.outqLength());
        assertEquals(0x7, stream.optMask() & 0x7, "timestamps, SACK and window scaling negotiated");
        assertTrue(stream.timestamp().isPresent() && stream.window().isPresent(), stream.toString());
        assertTrue(stream.mssClamp() > 0 && stream.mssClamp() <= 1460, stream.toString());
        // The peer's kernel holds the bytes before the send queue. (Reading them would open its window and
        // draw a reset from a, where the connection is gone; ss shows the count without touching it.)
        String[] peerRow = peer.netns().exec(null, "ss", "-tnH", "state", "established", "( dport = :" + PORT + " )")
                .strip().split("\\s+");
        assertEquals(firstOffset, Long.parseLong(peerRow[0]), "the peer holds exactly the bytes before the send queue");
    }

    @Test
    void rewritingTheAddressChangesOnlyTheSourceAddressWordsOfTheMatchingSockets() throws Exception {
        Path dir = copyOfTheDump("rewrite-only");
        byte[] before = Files.readAllBytes(dir.resolve("files.img"));
        RewriteReport report = ImageDir.open(dir).rewrite(AddressRewrite.of(Map.of(a.address(), b.address())));
        InetAddress any = InetAddress.ofLiteral("0.0.0.0");
        InetSocketAddress peerEnd = (InetSocketAddress) client.getLocalAddress();
        assertEquals(List.of(
                        row(TcpState.LISTEN, new InetSocketAddress(b.address(), PORT), new InetSocketAddress(any, 0)),
                        row(TcpState.ESTABLISHED, new InetSocketAddress(b.address(), PORT), peerEnd)).stream().sorted().toList(),
                report.changed().stream().map(c -> row(c.after().state(), c.after().local(), c.after().remote()))
                        .sorted().toList(), report.summary());
        for (RewriteReport.Change c : report.changed()) {
            assertEquals(new InetSocketAddress(a.address(), PORT), c.before().local(), report.summary());
            assertEquals(c.before().remote(), c.after().remote(), "the remote end is left alone");
        }
        assertEquals(List.of(new InetSocketAddress(any, 7001)), report.wildcard().stream().map(InetSocketImage::local)
                .toList(), report.summary());
        assertEquals(List.of(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 7002)),
                report.other().stream().map(InetSocketImage::local).toList(), report.summary());

        ImageFile old = ImageFile.decode("files.img", before);
        ImageFile now = ImageFile.read(dir.resolve("files.img"));
        assertEquals(old.entryCount(), now.entryCount());
        int rewritten = 0;
        for (int i = 0; i < old.entryCount(); i++) {
            ProtoMessage o = old.entries().get(i).message();
            ProtoMessage n = now.entries().get(i).message();
            if (o.equals(n)) continue;
            rewritten++;
            assertEquals(o.replacing(4, List.of()), n.replacing(4, List.of()), "file_entry fields besides isk");
            ProtoMessage oIsk = o.nested(4, "isk");
            ProtoMessage nIsk = n.nested(4, "isk");
            assertEquals(oIsk.replacing(11, List.of()), nIsk.replacing(11, List.of()), "isk fields besides src_addr");
            assertArrayEquals(InetSockets.words(Family.INET, b.address()), nIsk.repeatedUint32(11, "src_addr"));
        }
        assertEquals(2, rewritten);
        // Every other image is untouched.
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(CriuImagesTest::isImage).toList()) {
                if (f.getFileName().toString().equals("files.img")) continue;
                assertArrayEquals(Files.readAllBytes(dumped.resolve(f.getFileName())), Files.readAllBytes(f), f.toString());
            }
        }
    }

    @Test
    void afterARewriteToAnotherHostsAddressTheWorkloadRestoresThereWithTheNewLocalAddress() throws Exception {
        Path dir = copyOfTheDump("restore-on-b");
        ImageDir.open(dir).rewrite(AddressRewrite.of(Map.of(a.address(), b.address())));
        int peerPort = ((InetSocketAddress) client.getLocalAddress()).getPort();
        // The peer still talks to a: keep its answers (a reset) away from the restored connection on b.
        b.netns().exec("""
                table inet baton_hold {
                  chain in { type filter hook input priority 0; ip saddr %1$s tcp sport %2$d drop; }
                  chain out { type filter hook output priority 0; ip daddr %1$s tcp dport %2$d drop; }
                }
                """.formatted(peer.address().getHostAddress(), peerPort), "nft", "-f", "-");
        long restored = CriuCli.restore(b, dir);
        try {
            String sockets = b.netns().exec(null, "ss", "-tanH");
            String bIp = b.address().getHostAddress();
            assertTrue(sockets.matches("(?s).*LISTEN\\s+\\d+\\s+\\d+\\s+" + bIp.replace(".", "\\.") + ":7000\\s.*"), sockets);
            assertTrue(sockets.matches("(?s).*ESTAB\\s+\\d+\\s+\\d+\\s+" + bIp.replace(".", "\\.") + ":7000\\s+"
                    + peer.address().getHostAddress().replace(".", "\\.") + ":" + peerPort + "\\s.*"), sockets);
            assertFalse(sockets.contains(a.address().getHostAddress()), "nothing left on a's address: " + sockets);
            // The restored listener takes new connections on b's address.
            try (SocketChannel fresh = peer.netns().call(SocketChannel::open)) {
                fresh.connect(new InetSocketAddress(b.address(), PORT));
                assertTrue(fresh.isConnected());
            }
            assertTrue(ProcessHandle.of(restored).isPresent(), "the restored workload runs");
        } finally {
            ProcessHandle.of(restored).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void withoutTheRewriteTheSameImagesDoNotRestoreOnAnotherAddress() throws Exception {
        Path dir = copyOfTheDump("restore-unchanged");
        AssertionError e = assertThrows(AssertionError.class, () -> CriuCli.restore(b, dir));
        assertTrue(e.getMessage().contains("Cannot assign requested address"), e.getMessage());
    }
}
