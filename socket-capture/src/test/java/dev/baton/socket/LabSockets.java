package dev.baton.socket;

import dev.baton.netns.Commands;
import dev.baton.netns.NetnsLab;
import dev.baton.socket.internal.Libc;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

import static dev.baton.socket.internal.Libc.SOL_SOCKET;

/** Helpers for tests that use real sockets: find a Java channel's fd, hold a flow, move bytes with timeouts. */
final class LabSockets {
    static final int SO_RCVTIMEO = 20, SO_SNDTIMEO = 21;
    static final long TIMEOUT_MS = 15_000;

    private LabSockets() {}

    static int self() {
        return (int) ProcessHandle.current().pid();
    }

    /** This process's open fds, by number. */
    static Set<Integer> openFds() throws IOException {
        Set<Integer> fds = new TreeSet<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : dir) fds.add(Integer.parseInt(p.getFileName().toString()));
        }
        // the directory stream's own fd, closed by now
        fds.removeIf(fd -> !Files.exists(Path.of("/proc/self/fd/" + fd), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        return fds;
    }

    /** The fd of a connected or bound Java inet channel, found by matching its addresses with getsockname/peername. */
    static int fdOf(NetworkChannel channel) throws IOException {
        InetSocketAddress local = (InetSocketAddress) channel.getLocalAddress();
        InetSocketAddress remote = channel instanceof SocketChannel sc ? (InetSocketAddress) sc.getRemoteAddress() : null;
        List<Integer> found = new ArrayList<>();
        for (int fd : openFds()) {
            String target;
            try {
                target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            } catch (IOException gone) {
                continue;
            }
            if (!target.startsWith("socket:[")) continue;
            try {
                TcpSocket s = TcpSocket.borrow(fd);
                if (!s.localAddress().equals(local)) continue;
                InetSocketAddress peer;
                try {
                    peer = s.remoteAddress();
                } catch (SocketCaptureException notConnected) {
                    peer = null;
                }
                if (java.util.Objects.equals(peer, remote)) found.add(fd);
            } catch (RuntimeException notInet) {
                // a Unix socket or a socket of another kind
            }
        }
        if (found.size() != 1) throw new IllegalStateException("fds for " + local + " -> " + remote + ": " + found);
        return found.getFirst();
    }

    /** A duplicate of this process's fd, taken the way Baton takes another process's socket. */
    static TcpSocket grabOwn(int fd) {
        try (ProcessSockets self = ProcessSockets.open(self())) {
            return self.grab(fd);
        }
    }

    static boolean inRepairMode(int fd) {
        return Libc.getsockoptInt(fd, Libc.SOL_TCP, Libc.TCP_REPAIR) != 0;
    }

    static int inq(int fd) {
        return Libc.ioctlInt(fd, Libc.SIOCINQ, "SIOCINQ");
    }

    static int outq(int fd) {
        return Libc.ioctlInt(fd, Libc.SIOCOUTQ, "SIOCOUTQ");
    }

    static int unsent(int fd) {
        return Libc.ioctlInt(fd, Libc.SIOCOUTQNSD, "SIOCOUTQNSD");
    }

    /** Sets receive and send timeouts on a raw socket, so a test never blocks forever. */
    static void timeouts(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tv = arena.allocate(16);
            tv.set(ValueLayout.JAVA_LONG, 0, TIMEOUT_MS / 1000);
            tv.set(ValueLayout.JAVA_LONG, 8, 0);
            Libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv);
            Libc.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv);
        }
    }

    static void timeouts(SocketChannel ch) throws IOException {
        ch.socket().setSoTimeout((int) TIMEOUT_MS);
        timeouts(fdOf(ch));
    }

    /** Waits until {@code value} equals {@code expected}; fails with the last value after a timeout. */
    static void await(String what, IntSupplier value, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        int v;
        while ((v = value.getAsInt()) != expected) {
            if (System.nanoTime() > deadline) throw new AssertionError(what + ": " + v + ", expected " + expected);
            Thread.sleep(2);
        }
    }

    /** Waits until {@code value} stops changing for 100 ms and returns it. */
    static int settle(IntSupplier value) throws InterruptedException {
        int last = value.getAsInt();
        long stableSince = System.nanoTime();
        while (System.nanoTime() - stableSince < TimeUnit.MILLISECONDS.toNanos(100)) {
            Thread.sleep(5);
            int v = value.getAsInt();
            if (v != last) {
                last = v;
                stableSince = System.nanoTime();
            }
        }
        return last;
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads exactly {@code n} bytes (fails on end of stream or timeout). */
    static byte[] readExactly(ByteChannel ch, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) throw new IOException("end of stream after " + buf.position() + " of " + n + " bytes");
        }
        return buf.array();
    }

    static byte[] readExactly(SocketChannel ch, int n) throws IOException {
        InputStream in = ch.socket().getInputStream();
        byte[] b = in.readNBytes(n);
        if (b.length != n) throw new IOException("end of stream after " + b.length + " of " + n + " bytes");
        return b;
    }

    static void writeAll(ByteChannel ch, byte[] bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) ch.write(buf);
    }

    /** Runs {@code task} on a new thread; {@link #join} waits for it with the test timeout. */
    static <T> CompletableFuture<T> async(java.util.concurrent.Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    static <T> T join(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception x) throw x;
            throw e;
        }
    }

    /** Sets sysctls inside a host's network namespace (they are per namespace) by writing /proc/sys from there. */
    static void sysctl(NetnsLab.Host host, String... keyValues) {
        host.netns().run(() -> {
            for (int i = 0; i < keyValues.length; i += 2) {
                Path p = Path.of("/proc/sys", keyValues[i].replace('.', '/'));
                try {
                    Files.writeString(p, keyValues[i + 1]);
                } catch (IOException e) {
                    throw new IllegalStateException("cannot set " + keyValues[i], e);
                }
            }
        });
    }

    /**
     * Holds a flow: drops every TCP packet to or from {@code port} as it enters any of {@code hosts} (an nftables
     * table in each namespace), so that nothing reaches a socket being captured or rebuilt. Close to release.
     */
    static final class Hold implements AutoCloseable {
        private static final String TABLE = "baton_test_hold";
        private final List<NetnsLab.Host> hosts;
        private boolean released;

        Hold(int port, NetnsLab.Host... hosts) {
            this.hosts = List.of(hosts);
            String script = "table inet " + TABLE + " {\n chain in {\n  type filter hook input priority -10; policy accept;\n"
                    + "  tcp dport " + port + " drop\n  tcp sport " + port + " drop\n }\n}\n";
            List<NetnsLab.Host> done = new ArrayList<>();
            try {
                for (NetnsLab.Host h : hosts) {
                    Commands.run(h.command("nft", "-f", "-"), script);
                    done.add(h);
                }
            } catch (RuntimeException e) {
                for (NetnsLab.Host h : done) delete(h);
                throw e;
            }
        }

        private static void delete(NetnsLab.Host h) {
            try {
                Commands.run(h.command("nft", "delete", "table", "inet", TABLE), null);
            } catch (RuntimeException ignored) {
                // the namespace is gone already, and its tables with it
            }
        }

        @Override
        public void close() {
            if (released) return;
            released = true;
            for (NetnsLab.Host h : hosts) delete(h);
        }
    }
}
