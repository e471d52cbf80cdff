package dev.baton.gateway.proxy;

import dev.baton.gateway.GatewayConfig;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Helpers for gateway tests over real sockets: configs, bytes with checksums, waiting with timeouts. */
final class ProxyTesting {
    static final long TIMEOUT_MS = 20_000;
    static final int KIB = 1024, MIB = 1024 * 1024;

    private ProxyTesting() {
    }

    /** One service "echo" on 127.0.0.1 (a port the kernel picks) in front of {@code upstreamPort} on host "a". */
    static GatewayConfig loopbackConfig(Path dir, int upstreamPort, String timeouts) {
        return GatewayConfig.parse("""
                {"hosts": {"a": {"agent": "127.0.0.1:7441", "address": "127.0.0.1"}},
                 "services": [{"name": "echo", "listen": "127.0.0.1:0", "workload": "echo", "host": "a", "port": %d}],
                 "timeouts": %s,
                 "keys": "%s",
                 "state": "%s"}
                """.formatted(upstreamPort, timeouts == null ? "null" : timeouts, dir.resolve("keys"),
                dir.resolve("state.json")));
    }

    /** A peer connected to the gateway's service, with read timeouts. */
    static Socket connect(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout((int) TIMEOUT_MS);
        s.connect(address, (int) TIMEOUT_MS);
        return s;
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

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] all = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    static byte[] readExactly(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) throw new IOException("end of stream after " + b.length + " of " + n + " bytes");
        return b;
    }

    static byte[] readExactly(SocketChannel ch, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) throw new IOException("end of stream after " + buf.position() + " of " + n + " bytes");
        }
        return buf.array();
    }

    /** Reads until end of stream. */
    static byte[] readToEnd(SocketChannel ch) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(64 * KIB);
        while (ch.read(buf.clear()) >= 0) out.write(buf.array(), 0, buf.position());
        return out.toByteArray();
    }

    static void writeAll(SocketChannel ch, byte[] bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) ch.write(buf);
    }

    /** Reads what is there within {@code ms} without blocking longer (0 bytes when nothing came). */
    static byte[] readFor(SocketChannel ch, long ms) throws IOException, InterruptedException {
        ch.configureBlocking(false);
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(64 * KIB);
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
            while (System.nanoTime() < end) {
                int n = ch.read(buf.clear());
                if (n < 0) break;
                if (n > 0) out.write(buf.array(), 0, n);
                else Thread.sleep(5);
            }
            return out.toByteArray();
        } finally {
            ch.configureBlocking(true);
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(2);
        }
    }

    static <T> CompletableFuture<T> async(Callable<T> task) {
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

    /** The future's value, or its failure's cause as thrown. */
    static <T> T join(Future<T> f) throws Exception {
        try {
            return f.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) throw x;
            throw e;
        }
    }

    /** The exception a future failed with (fails the test when it completed normally). */
    static Throwable failure(Future<?> f) throws Exception {
        try {
            Object v = f.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            throw new AssertionError("expected a failure, got " + (v instanceof int[] a ? Arrays.toString(a) : v));
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    /** The only flow the gateway has, once it is there. */
    static Flow onlyFlow(dev.baton.gateway.Gateway gateway) throws InterruptedException {
        await("a flow", () -> gateway.flows().size() == 1);
        return gateway.flows().getFirst();
    }
}
