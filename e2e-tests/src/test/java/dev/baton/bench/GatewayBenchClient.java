package dev.baton.bench;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The load generator of the gateway benchmark, a process of its own on the client host, talking to
 * {@link GatewayBenchServer} directly or through a proxy. One command per line on stdin, one answer per command
 * on stdout: {@code RESULT {json}} or {@code ERROR message}. It prints {@code READY} at start and ends when stdin
 * closes.
 * <pre>
 *   PROBE      IP:PORT millis                    until one connect + 1-byte echo + close succeeds
 *   THROUGHPUT IP:PORT streams millis            bulk client → server; bytes as counted by the server
 *   LATENCY    IP:PORT connections rounds warmup 64-byte request/response, each connection on its own thread
 *   CONNRATE   IP:PORT threads millis warmup     connect, 1-byte echo, close, as fast as the threads go
 *   IDLE       IP:PORT count                     open connections that send one byte and then stay idle
 *   CLOSEIDLE                                    close them
 * </pre>
 */
public final class GatewayBenchClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MESSAGE = 64;
    /** Longest a connect or a read of the connection-rate exchange may take. */
    private static final int STEP_TIMEOUT_MS = 5_000;
    /** How long past its planned end a command may run before its connections are closed under it. */
    private static final long STALL_MS = 30_000;

    /** Bulk transfer: bytes the server received over all streams, from the first write to the last count. */
    record Throughput(int streams, long bytes, long nanos) {
        double megabytesPerSecond() {
            return bytes / 1e6 / (nanos / 1e9);
        }
    }

    /** Round-trip times in nanoseconds over all connections. */
    record Latency(int connections, int samples, long medianNanos, long p99Nanos, long p999Nanos, long maxNanos) {
    }

    /** Completed connections (connect, echo, close) in the measured window, and the failed attempts. */
    record ConnectionRate(int threads, long connections, long nanos, long failures) {
        double perSecond() {
            return connections / (nanos / 1e9);
        }
    }

    /** Idle connections opened (or closed), the attempts that failed, and how long it took. */
    record Idle(int count, int failures, long nanos) {
    }

    private final List<SocketChannel> idle = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        GatewayBenchClient client = new GatewayBenchClient();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("READY");
        String line;
        while ((line = in.readLine()) != null) {
            String[] a = line.split(" ");
            try {
                Object result = switch (a[0]) {
                    case "PROBE" -> probe(GatewayBenchServer.parse(a[1]), Long.parseLong(a[2]));
                    case "THROUGHPUT" -> throughput(GatewayBenchServer.parse(a[1]), Integer.parseInt(a[2]),
                            Long.parseLong(a[3]));
                    case "LATENCY" -> latency(GatewayBenchServer.parse(a[1]), Integer.parseInt(a[2]),
                            Integer.parseInt(a[3]), Integer.parseInt(a[4]));
                    case "CONNRATE" -> connectionRate(GatewayBenchServer.parse(a[1]), Integer.parseInt(a[2]),
                            Long.parseLong(a[3]), Long.parseLong(a[4]));
                    case "IDLE" -> client.openIdle(GatewayBenchServer.parse(a[1]), Integer.parseInt(a[2]));
                    case "CLOSEIDLE" -> client.closeIdle();
                    default -> throw new IllegalArgumentException("unknown command " + a[0]);
                };
                System.out.println("RESULT " + JSON.writeValueAsString(result));
            } catch (Exception e) {
                System.out.println("ERROR " + a[0] + ": " + e);
            }
        }
        client.closeIdle();
        System.exit(0);
    }

    /** Retries the connection-rate exchange until it succeeds once: the path is up end to end. */
    static Idle probe(InetSocketAddress target, long millis) throws Exception {
        long start = System.nanoTime();
        long deadline = start + millis * 1_000_000;
        int failures = 0;
        while (true) {
            try {
                connectEchoClose(target);
                return new Idle(1, failures, System.nanoTime() - start);
            } catch (IOException e) {
                failures++;
                if (System.nanoTime() > deadline) throw new IOException("no path to " + target + " within " + millis + " ms", e);
                Thread.sleep(50);
            }
        }
    }

    static Throughput throughput(InetSocketAddress target, int streams, long millis) throws Exception {
        List<SocketChannel> channels = new ArrayList<>();
        try {
            for (int i = 0; i < streams; i++) {
                SocketChannel c = connect(target);
                channels.add(c);
                c.write(ByteBuffer.wrap(new byte[]{GatewayBenchServer.SINK}));
            }
            CountDownLatch go = new CountDownLatch(1);
            AtomicLong bytes = new AtomicLong();
            AtomicLong lastEnd = new AtomicLong();
            AtomicReference<Exception> failure = new AtomicReference<>();
            long[] start = new long[1];
            List<Thread> threads = new ArrayList<>();
            for (SocketChannel c : channels) {
                threads.add(Thread.ofPlatform().name("stream").start(() -> {
                    try {
                        ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
                        go.await();
                        long deadline = start[0] + millis * 1_000_000;
                        while (System.nanoTime() < deadline) {
                            buf.clear();
                            while (buf.hasRemaining()) c.write(buf);
                        }
                        c.shutdownOutput();
                        ByteBuffer count = ByteBuffer.allocate(Long.BYTES);
                        while (count.hasRemaining()) {
                            if (c.read(count) < 0) throw new IOException("the server closed before its byte count");
                        }
                        long end = System.nanoTime();
                        bytes.addAndGet(count.getLong(0));
                        lastEnd.accumulateAndGet(end, Math::max);
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            start[0] = System.nanoTime();
            go.countDown();
            joinOrAbort(threads, channels, start[0] + (millis + STALL_MS) * 1_000_000, "the transfer");
            if (failure.get() != null) throw failure.get();
            return new Throughput(streams, bytes.get(), lastEnd.get() - start[0]);
        } finally {
            for (SocketChannel c : channels) c.close();
        }
    }

    static Latency latency(InetSocketAddress target, int connections, int rounds, int warmup) throws Exception {
        long[][] samples = new long[connections][];
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        List<SocketChannel> channels = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) channels.add(connect(target));
        } catch (IOException e) {
            for (SocketChannel c : channels) c.close();
            throw e;
        }
        long start = System.nanoTime();
        for (int i = 0; i < connections; i++) {
            int index = i;
            SocketChannel channel = channels.get(i);
            threads.add(Thread.ofPlatform().name("latency").start(() -> {
                try (SocketChannel c = channel) {
                    c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    c.write(ByteBuffer.wrap(new byte[]{GatewayBenchServer.ECHO}));
                    ByteBuffer out = ByteBuffer.allocateDirect(MESSAGE);
                    ByteBuffer in = ByteBuffer.allocateDirect(MESSAGE);
                    for (int k = 0; k < warmup; k++) roundTrip(c, out, in);
                    long[] times = new long[rounds];
                    for (int k = 0; k < rounds; k++) {
                        long t = System.nanoTime();
                        roundTrip(c, out, in);
                        times[k] = System.nanoTime() - t;
                    }
                    samples[index] = times;
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        joinOrAbort(threads, channels, start + STALL_MS * 1_000_000 * 4, "the round trips");
        if (failure.get() != null) throw failure.get();
        long[] all = Arrays.stream(samples).flatMapToLong(Arrays::stream).sorted().toArray();
        return new Latency(connections, all.length, percentile(all, 0.5), percentile(all, 0.99),
                percentile(all, 0.999), all[all.length - 1]);
    }

    /** The value below which {@code fraction} of the sorted samples lie (nearest rank). */
    static long percentile(long[] sorted, double fraction) {
        int rank = (int) Math.ceil(fraction * sorted.length);
        return sorted[Math.clamp(rank - 1, 0, sorted.length - 1)];
    }

    private static void roundTrip(SocketChannel c, ByteBuffer out, ByteBuffer in) throws IOException {
        out.clear();
        while (out.hasRemaining()) c.write(out);
        in.clear();
        while (in.hasRemaining()) {
            if (c.read(in) < 0) throw new IOException("the echo closed the connection");
        }
    }

    static ConnectionRate connectionRate(InetSocketAddress target, int threadCount, long millis, long warmupMillis)
            throws Exception {
        long start = System.nanoTime() + warmupMillis * 1_000_000;
        long end = start + millis * 1_000_000;
        AtomicLong done = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < threadCount; i++) {
            threads.add(Thread.ofPlatform().name("connect").start(() -> {
                long now;
                while ((now = System.nanoTime()) < end) {
                    try {
                        connectEchoClose(target);
                        if (now >= start) done.incrementAndGet();
                    } catch (IOException e) {
                        if (now >= start) failures.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread t : threads) t.join();
        return new ConnectionRate(threadCount, done.get(), end - start, failures.get());
    }

    /** Connect, send 'C', read it back, read the server's close, close; each step within {@link #STEP_TIMEOUT_MS}. */
    private static void connectEchoClose(InetSocketAddress target) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(target, STEP_TIMEOUT_MS);
            s.setSoTimeout(STEP_TIMEOUT_MS);
            s.getOutputStream().write(GatewayBenchServer.CONNECT);
            InputStream in = s.getInputStream();
            if (in.read() != GatewayBenchServer.CONNECT) throw new IOException("no echo of the connection byte");
            if (in.read() >= 0) throw new IOException("the server did not close after the echo");
        }
    }

    /** A blocking channel connected within {@link #STEP_TIMEOUT_MS}, so a proxy that never accepts fails fast. */
    private static SocketChannel connect(InetSocketAddress target) throws IOException {
        SocketChannel c = SocketChannel.open();
        try {
            c.socket().connect(target, STEP_TIMEOUT_MS);
            return c;
        } catch (IOException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Waits for {@code threads}; past {@code deadline} closes {@code channels}, which ends any blocked read or
     * write, so that a proxy that stalls fails the command instead of hanging the benchmark.
     */
    private static void joinOrAbort(List<Thread> threads, List<SocketChannel> channels, long deadline, String what)
            throws Exception {
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                for (SocketChannel c : channels) c.close();
                for (Thread u : threads) u.join();
                throw new IOException(what + " stalled: no progress until the deadline");
            }
        }
    }

    Idle openIdle(InetSocketAddress target, int count) {
        long start = System.nanoTime();
        int failures = 0;
        for (int i = 0; i < count; i++) {
            try {
                SocketChannel c = connect(target);
                idle.add(c);
                c.write(ByteBuffer.wrap(new byte[]{GatewayBenchServer.IDLE}));
            } catch (IOException e) {
                failures++;
            }
        }
        return new Idle(idle.size(), failures, System.nanoTime() - start);
    }

    Idle closeIdle() {
        long start = System.nanoTime();
        int closed = 0;
        for (SocketChannel c : idle) {
            try {
                c.close();
                closed++;
            } catch (IOException ignored) {
                // counted as not closed
            }
        }
        int failures = idle.size() - closed;
        idle.clear();
        return new Idle(closed, failures, System.nanoTime() - start);
    }
}
