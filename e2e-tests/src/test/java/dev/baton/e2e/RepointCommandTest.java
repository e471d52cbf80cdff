package dev.baton.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.cli.Cli;
import dev.baton.demo.StreamPattern;
import dev.baton.demo.StreamPattern.Direction;
import dev.baton.netns.NetnsLab;
import dev.baton.peer.FlowHold;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.RepairSession;
import dev.baton.socket.SocketCapture;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpSocketState;
import dev.baton.socket.TcpState;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code baton sockets repoint} on a live, unmodified program: socat echoes a connection whose server end — a
 * plain Java socket of this JVM in namespace a — the test moves by hand to namespace b (another IP); the CLI
 * re-points socat's socket in place, and the echo goes on byte for byte through the same fd.
 */
@Tag("privileged")
class RepointCommandTest {
    private static final int PORT = 7000;
    private static final int WARM_UP = 16 << 10;
    /** Echoed back before the move and left unread: it moves in the server socket's receive queue. */
    private static final int UNREAD = 48 << 10;
    private static final int AFTER = 64 << 10;
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    /** Bytes of the test's stream written so far and echoed back so far (both offsets into FROM_SERVER). */
    private long written;
    private final AtomicLong echoed = new AtomicLong();
    private final AtomicLong mismatchAt = new AtomicLong(-1);

    @Test
    void theCliRepointsAStockProgramsSocketInPlace() throws Exception {
        SocketCapture.warmUp();
        Deque<AutoCloseable> cleanup = new ArrayDeque<>();
        try (NetnsLab lab = NetnsLab.create("peer", "a", "b")) {
            InetSocketAddress onA = new InetSocketAddress(lab.host("a").address(), PORT);
            InetSocketAddress onB = new InetSocketAddress(lab.host("b").address(), PORT);
            try {
                ServerSocketChannel listener = lab.host("a").netns().call(() -> {
                    ServerSocketChannel l = ServerSocketChannel.open();
                    l.bind(onA);
                    return l;
                });
                cleanup.push(listener);
                Process socat = new ProcessBuilder(lab.host("peer").command("socat", "TCP:" + StateJson.format(onA),
                        "EXEC:cat")).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
                cleanup.push(() -> end(socat));
                int socatPid = (int) socat.pid();

                SocketChannel conn = accept(listener);
                cleanup.push(conn);
                listener.close();
                writeAll(conn, WARM_UP);
                readEchoNonBlocking(conn, WARM_UP);
                writeAll(conn, UNREAD);
                Thread.sleep(300); // the echo lands in our receive queue, unread, and is acknowledged

                SocketEntry before = onlyTcpSocket(socatPid);
                assertEquals(onA, before.remote());

                // Move the server end by hand: hold, capture, close silently, rebuild on b held in repair mode.
                FlowHold peerHold = FlowHold.create(lab.host("peer").netns());
                cleanup.push(peerHold);
                FlowHold aHold = FlowHold.create(lab.host("a").netns());
                cleanup.push(aHold);
                peerHold.hold(List.of(before.local()), List.of());
                aHold.hold(List.of(onA), List.of());
                TcpSocketState state;
                try (ProcessSockets self = ProcessSockets.open((int) ProcessHandle.current().pid())) {
                    int fd = self.list().stream()
                            .filter(e -> e.local().equals(onA) && e.remote().equals(before.local()))
                            .mapToInt(SocketEntry::fd).findFirst().orElseThrow();
                    RepairSession capture = RepairSession.enter(self.grab(fd));
                    state = capture.snapshot();
                    conn.close();             // no thread uses it: a plain close, no shutdown
                    capture.closeSilently();  // the last fd: closed in repair mode, no FIN, no RST
                }
                System.out.printf("server end captured: %s -> %s, receive queue %d B, send queue %d B%n",
                        StateJson.format(state.local()), StateJson.format(state.remote()),
                        state.receiveQueue().length(), state.sendQueue().length());
                RepairSession rebuilt = lab.host("b").netns().call(() -> RepairSession.rebuild(state.withLocal(onB)));
                cleanup.push(() -> {
                    if (rebuilt.isRepairing()) rebuilt.closeSilently();
                    else rebuilt.socket().close();
                });

                Cli repoint = Cli.run("sockets", "repoint", "--pid", Integer.toString(socatPid), "--fd",
                        Integer.toString(before.fd()), "--to", StateJson.format(onB));
                System.out.print("baton sockets repoint: " + repoint.out() + repoint.err());
                assertEquals(0, repoint.exitCode(), repoint.err());
                List<String> lines = repoint.out().lines().toList();
                assertEquals(1, lines.size(), repoint.out());
                assertTrue(lines.getFirst().contains("fd " + before.fd() + " of process " + socatPid), repoint.out());
                assertTrue(lines.getFirst().contains("remote " + StateJson.format(onA) + " -> " + StateJson.format(onB)),
                        repoint.out());

                peerHold.release();
                aHold.release();
                long resumed = System.nanoTime();
                rebuilt.resume();
                ByteChannel moved = rebuilt.socket().channel();
                Thread reader = startReader(moved);
                cleanup.push(() -> { // socat first: its FIN ends the reader blocked on the rebuilt socket
                    end(socat);
                    reader.join(2_000);
                });
                awaitEchoed(written, reader); // the unread echo, from the rebuilt receive queue
                writeAll(moved, AFTER);
                awaitEchoed(written, reader);
                System.out.printf("after the move: %d B echoed in %.1f ms%n", UNREAD + AFTER,
                        (System.nanoTime() - resumed) / 1e6);
                assertEquals(-1, mismatchAt.get(), "the echo is byte-exact");
                assertEquals(written, echoed.get());

                assertTrue(socat.isAlive(), "socat still runs");
                SocketEntry after = onlyTcpSocket(socatPid);
                assertEquals(before.fd(), after.fd(), "same fd");
                assertEquals(before.inode(), after.inode(), "same socket");
                assertEquals(before.local(), after.local(), "same local end");
                assertEquals(onB, after.remote(), "aimed at b");
                assertEquals(TcpState.ESTABLISHED, after.state());

                Cli list = Cli.run("sockets", "list", "--pid", Integer.toString(socatPid));
                assertEquals(0, list.exitCode(), list.err());
                List<JsonNode> rows = new ArrayList<>();
                StateJson.mapper().readTree(list.out()).forEach(rows::add);
                JsonNode row = rows.stream().filter(r -> r.path("fd").asInt() == before.fd()).findFirst()
                        .orElseThrow(() -> new AssertionError("no row for fd " + before.fd() + ": " + list.out()));
                assertEquals(1, rows.size(), list.out());
                assertEquals(StateJson.format(onB), row.path("remote").asText(), row.toString());
                assertEquals(StateJson.format(before.local()), row.path("local").asText(), row.toString());
                assertEquals("ESTABLISHED", row.path("state").asText(), row.toString());
            } finally {
                closeAll(cleanup);
            }
        }
    }

    private static SocketChannel accept(ServerSocketChannel listener) throws Exception {
        listener.configureBlocking(false);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            SocketChannel c = listener.accept();
            if (c != null) {
                c.configureBlocking(false);
                return c;
            }
            if (System.nanoTime() > deadline) fail("socat did not connect within " + TIMEOUT);
            Thread.sleep(5);
        }
    }

    private void writeAll(ByteChannel channel, int length) throws Exception {
        byte[] buf = new byte[length];
        StreamPattern.fill(Direction.FROM_SERVER, written, buf, length);
        ByteBuffer bb = ByteBuffer.wrap(buf);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (bb.hasRemaining()) {
            if (channel.write(bb) == 0) {
                if (System.nanoTime() > deadline) fail("cannot write");
                Thread.sleep(1);
            }
        }
        written += length;
    }

    /** Reads {@code length} echoed bytes from the (non-blocking) original channel, checking each. */
    private void readEchoNonBlocking(SocketChannel channel, int length) throws Exception {
        ByteBuffer bb = ByteBuffer.allocate(length);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (bb.hasRemaining()) {
            int n = channel.read(bb);
            if (n < 0) fail("socat closed the connection");
            if (n == 0) {
                if (System.nanoTime() > deadline) fail("no echo within " + TIMEOUT);
                Thread.sleep(1);
            }
        }
        check(bb.array(), length);
    }

    /** The rebuilt socket's channel blocks: a reader thread checks the echo, the test waits with a deadline. */
    private Thread startReader(ByteChannel channel) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        return Thread.ofPlatform().daemon().name("echo reader").start(() -> {
            ByteBuffer bb = ByteBuffer.allocate(64 << 10);
            try {
                while (true) {
                    bb.clear();
                    int n = channel.read(bb);
                    if (n < 0) return;
                    check(bb.array(), n);
                }
            } catch (IOException e) {
                failure.set(e); // closed at the end of the test, or the connection failed
            }
        });
    }

    private void check(byte[] buf, int n) {
        long offset = echoed.get();
        int bad = StreamPattern.firstMismatch(Direction.FROM_SERVER, offset, buf, n);
        if (bad >= 0) mismatchAt.compareAndSet(-1, offset + bad);
        echoed.addAndGet(n);
    }

    private void awaitEchoed(long target, Thread reader) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (echoed.get() < target) {
            if (!reader.isAlive()) fail("the connection ended after " + echoed.get() + " of " + target + " bytes");
            if (System.nanoTime() > deadline) fail("echo stalled at " + echoed.get() + " of " + target + " bytes");
            Thread.sleep(2);
        }
    }

    private static SocketEntry onlyTcpSocket(int pid) {
        try (ProcessSockets p = ProcessSockets.open(pid)) {
            List<SocketEntry> tcp = p.list();
            assertEquals(1, tcp.size(), "socat has one TCP socket: " + tcp);
            return tcp.getFirst();
        }
    }


    /** Ends socat — our child, by its own handle — and what it started (its EXEC child). */
    private static void end(Process p) throws InterruptedException {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroy();
        if (!p.waitFor(2, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        }
        for (ProcessHandle c : children) {
            if (c.isAlive()) c.destroyForcibly();
        }
    }

    private static void closeAll(Deque<AutoCloseable> cleanup) throws Exception {
        Exception first = null;
        while (!cleanup.isEmpty()) {
            try {
                cleanup.pop().close();
            } catch (Exception e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }
}
