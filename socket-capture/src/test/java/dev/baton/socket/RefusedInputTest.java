package dev.baton.socket;

import dev.baton.netns.NetnsLab;
import dev.baton.netns.NetnsLab.Host;
import dev.baton.socket.SocketCaptureException.Reason;
import dev.baton.socket.internal.Libc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static dev.baton.socket.LabSockets.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * What cannot be captured or rebuilt is refused with a reason a user can act on, and whatever was passed in is
 * left working: not in repair mode, still carrying bytes.
 */
@Tag("privileged")
class RefusedInputTest {
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

    private static SocketCaptureException refused(Reason reason, Executable call) {
        SocketCaptureException e = assertThrows(SocketCaptureException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(reason.hint()), e.getMessage());
        return e;
    }

    /** A connected pair on loopback in the lab host. */
    private record Pair(ServerSocketChannel server, SocketChannel client, SocketChannel accepted) implements AutoCloseable {
        static Pair open() throws Exception {
            ServerSocketChannel server = host.netns().call(() -> ServerSocketChannel.open()
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
            SocketChannel client = host.netns().call(() -> SocketChannel.open(server.getLocalAddress()));
            SocketChannel accepted = server.accept();
            timeouts(client);
            timeouts(accepted);
            return new Pair(server, client, accepted);
        }

        /** Bytes both ways, with a normal read and write (both fail in repair mode). */
        void assertWorks() throws Exception {
            assertFalse(inRepairMode(fdOf(client)));
            assertFalse(inRepairMode(fdOf(accepted)));
            byte[] x = random(50_000, 21), y = random(50_000, 22);
            var atAccepted = async(() -> readExactly(accepted, x.length));
            writeAll(client, x);
            assertArrayEquals(x, join(atAccepted));
            var atClient = async(() -> readExactly(client, y.length));
            writeAll(accepted, y);
            assertArrayEquals(y, join(atClient));
        }

        @Override
        public void close() throws IOException {
            try (server; client; accepted) {
                // closes all three
            }
        }
    }

    @Test
    void aPipeOrAFileIsRefusedAsNotASocket() throws Exception {
        Set<Integer> before = openFds();
        Pipe pipe = Pipe.open();
        Set<Integer> pipeFds = new TreeSet<>(openFds());
        pipeFds.removeAll(before);
        assertEquals(2, pipeFds.size(), "the pipe's two ends: " + pipeFds);
        try (Pipe.SourceChannel source = pipe.source(); Pipe.SinkChannel sink = pipe.sink()) {
            for (int fd : pipeFds) {
                refused(Reason.NOT_A_SOCKET, () -> SocketCapture.capture(TcpSocket.borrow(fd)));
                try (TcpSocket dup = grabOwn(fd)) {
                    refused(Reason.NOT_A_SOCKET, () -> RepairSession.enter(dup));
                }
            }
            sink.write(ByteBuffer.wrap(new byte[]{7}));
            ByteBuffer one = ByteBuffer.allocate(1);
            source.read(one);
            assertEquals(7, one.get(0), "the pipe still works");
        }
        Path file = Files.createTempFile("baton-refused", ".txt");
        try {
            int fd = Libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
            try (TcpSocket notASocket = TcpSocket.own(fd)) {
                refused(Reason.NOT_A_SOCKET, () -> SocketCapture.capture(notASocket));
            }
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void aUdpSocketIsRefusedAsNotTcp() throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (DatagramChannel udp = host.netns().call(() -> DatagramChannel.open().bind(any));
             DatagramChannel other = host.netns().call(() -> DatagramChannel.open().bind(any))) {
            int fd = fdOf(udp);
            SocketCaptureException e = refused(Reason.NOT_TCP, () -> SocketCapture.capture(TcpSocket.borrow(fd)));
            assertTrue(e.getMessage().contains("type 2"), "SOCK_DGRAM named: " + e.getMessage());
            other.send(ByteBuffer.wrap(new byte[]{1, 2, 3}), udp.getLocalAddress());
            ByteBuffer got = ByteBuffer.allocate(10);
            udp.receive(got);
            assertEquals(3, got.position(), "the UDP socket still receives");
        }
    }

    @Test
    void aUnixSocketIsRefusedAsNotTcp() throws Exception {
        Path dir = Files.createTempDirectory("baton-unix");
        UnixDomainSocketAddress at = UnixDomainSocketAddress.of(dir.resolve("s"));
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(at)) {
            Set<Integer> before = openFds();
            try (SocketChannel client = SocketChannel.open(at); SocketChannel accepted = server.accept()) {
                Set<Integer> fds = new TreeSet<>(openFds());
                fds.removeAll(before);
                assertEquals(2, fds.size(), fds.toString());
                for (int fd : fds) {
                    SocketCaptureException e = refused(Reason.NOT_TCP, () -> SocketCapture.capture(TcpSocket.borrow(fd)));
                    assertTrue(e.getMessage().contains("domain 1"), "AF_UNIX named: " + e.getMessage());
                }
                writeAll(client, "still here".getBytes(StandardCharsets.US_ASCII));
                ByteBuffer got = ByteBuffer.allocate(10);
                while (got.hasRemaining()) accepted.read(got);
                assertEquals("still here", new String(got.array(), StandardCharsets.US_ASCII));
            }
        } finally {
            Files.deleteIfExists(dir.resolve("s"));
            Files.delete(dir);
        }
    }

    @Test
    void aListeningSocketIsRefusedAsListeningAndKeepsAccepting() throws Exception {
        try (ServerSocketChannel server = host.netns().call(() -> ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))) {
            int fd = fdOf(server);
            boolean reuse = Libc.getsockoptInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR) != 0;
            refused(Reason.LISTENING, () -> SocketCapture.capture(TcpSocket.borrow(fd)));
            assertFalse(inRepairMode(fd));
            assertEquals(reuse, Libc.getsockoptInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR) != 0, "SO_REUSEADDR kept");
            try (SocketChannel client = host.netns().call(() -> SocketChannel.open(server.getLocalAddress()));
                 SocketChannel accepted = server.accept()) {
                writeAll(client, new byte[]{42});
                assertArrayEquals(new byte[]{42}, readExactly(accepted, 1));
            }
        }
    }

    @Test
    void aPidWithoutAProcessIsRefusedAsNoSuchProcess() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(10, TimeUnit.SECONDS));
        int pid = (int) gone.pid();
        refused(Reason.NO_SUCH_PROCESS, () -> ProcessSockets.open(pid));
        refused(Reason.NO_SUCH_PROCESS, () -> ProcessSockets.open(0));
        refused(Reason.NO_SUCH_PROCESS, () -> ProcessSockets.open(-5));
    }

    @Test
    void anFdALiveProcessDoesNotHaveIsRefusedAsNoSuchFd() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "30").start();
        try (ProcessSockets p = ProcessSockets.open((int) sleeper.pid())) {
            refused(Reason.NO_SUCH_FD, () -> p.grab(999));
            assertTrue(sleeper.isAlive());
        } finally {
            sleeper.destroyForcibly();
            sleeper.waitFor(10, TimeUnit.SECONDS);
        }
        try (ProcessSockets self = ProcessSockets.open(self())) {
            int unused = 1_000_000 - 1;
            refused(Reason.NO_SUCH_FD, () -> self.grab(unused));
        }
    }

    @Test
    void withoutCapNetAdminCaptureIsRefusedAsPermissionDeniedAndTheSocketKeepsWorking() throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try (ServerSocketChannel server = host.netns().call(() -> ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))) {
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            List<String> cmd = new ArrayList<>(host.command("setpriv", "--inh-caps=-net_admin",
                    "--bounding-set=-net_admin", "--", java, "--enable-native-access=ALL-UNNAMED", "-cp", classpath,
                    NoNetAdminProbe.class.getName(), Integer.toString(port)));
            Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try {
                var accepted = async(server::accept);
                try (SocketChannel ch = join(accepted)) {
                    timeouts(ch);
                    String line = new String(readExactly(ch, "PERMISSION_DENIED repair=0\n".length()),
                            StandardCharsets.US_ASCII);
                    assertEquals("PERMISSION_DENIED repair=0\n", line, "the child's outcome, sent over its socket");
                    writeAll(ch, "ok\n".getBytes(StandardCharsets.US_ASCII));
                }
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child finished");
                String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, child.exitValue(), out);
                assertTrue(out.contains("PERMISSION_DENIED repair=0 reply=ok"), out);
            } finally {
                child.destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void rebuildingOntoA4TupleThatIsInUseIsRefusedAsAddressInUse() throws Exception {
        try (Pair p = Pair.open()) {
            TcpSocketState live = SocketCapture.capture(TcpSocket.borrow(fdOf(p.accepted())));
            SocketCaptureException e = host.netns().call(() -> refused(Reason.ADDRESS_IN_USE,
                    () -> SocketCapture.rebuild(live)));
            assertTrue(e.getMessage().contains("another socket in this network namespace has that 4-tuple"),
                    e.getMessage());
            assertEquals(Libc.EADDRNOTAVAIL, e.errno(), "what the kernel says for a 4-tuple in use");
            p.assertWorks();
        }
    }

    @Test
    void rebuildingAConnectionThatIsNotEstablishedIsRefusedAsUnsupportedState() throws Exception {
        try (Pair p = Pair.open()) {
            p.client().shutdownOutput();
            int fd = fdOf(p.accepted());
            assertEquals(-1, p.accepted().read(ByteBuffer.allocate(1)), "FIN arrived");
            TcpSocketState halfClosed = SocketCapture.capture(TcpSocket.borrow(fd));
            assertEquals(TcpState.CLOSE_WAIT, halfClosed.state());
            // Half-closed connections rebuild, but a received FIN is re-injected over IPv4 only: native IPv6 is refused.
            SocketCaptureException e = host.netns().call(() -> refused(Reason.UNSUPPORTED_STATE,
                    () -> SocketCapture.rebuild(halfClosed.withLocal(new InetSocketAddress(InetAddress.ofLiteral("::1"), 1))
                            .withRemote(new InetSocketAddress(InetAddress.ofLiteral("::1"), 2)))));
            assertTrue(e.getMessage().contains("CLOSE_WAIT"), e.getMessage());
            assertFalse(inRepairMode(fd));
            writeAll(p.accepted(), new byte[]{9, 8, 7});
            assertArrayEquals(new byte[]{9, 8, 7}, readExactly(p.client(), 3), "the half-closed side still sends");
        }
    }

    @Test
    void aStateOfTheOtherFamilyIsRefusedAsInconsistentAndTheSocketIsNotLeftInRepairMode() throws Exception {
        try (Pair p = Pair.open()) {
            TcpSocketState live = SocketCapture.capture(TcpSocket.borrow(fdOf(p.accepted())));
            assertEquals(Family.INET6, live.family(), "Java's default sockets are dual-stack");
            TcpSocket inet = TcpSocket.own(Libc.socket(Libc.AF_INET, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0));
            try (RepairSession session = RepairSession.enter(inet)) {
                refused(Reason.INCONSISTENT_STATE, () -> session.restore(live));
            }
            assertFalse(inRepairMode(inet.fd()), "closing the session left repair mode");
            inet.close();
            p.assertWorks();
        }
    }

    @Test
    void repointingAnIpv4SocketAtAnIpv6AddressIsRefusedBeforeTheSocketIsTouched() throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0);
        try (ServerSocketChannel server = host.netns().call(
                () -> ServerSocketChannel.open(StandardProtocolFamily.INET).bind(any));
             SocketChannel client = host.netns().call(() -> {
                 SocketChannel c = SocketChannel.open(StandardProtocolFamily.INET);
                 c.connect(server.getLocalAddress());
                 return c;
             });
             SocketChannel accepted = server.accept()) {
            int fd = fdOf(client);
            refused(Reason.ADDRESS_UNAVAILABLE,
                    () -> SocketCapture.repoint(TcpSocket.borrow(fd), new InetSocketAddress(InetAddress.getByName("::1"), 80)));
            assertFalse(inRepairMode(fd));
            client.write(ByteBuffer.wrap(new byte[]{5}));
            ByteBuffer one = ByteBuffer.allocate(1);
            accepted.read(one);
            assertEquals(5, one.get(0), "the connection still works");
        }
    }
}
