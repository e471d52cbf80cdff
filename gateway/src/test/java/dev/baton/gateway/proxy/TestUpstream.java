package dev.baton.gateway.proxy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A workload for tests: a plain blocking TCP server (the gateway's upstream). In echo mode every connection gets
 * back what it sends (and a FIN after the peer's); in manual mode the test takes each accepted connection with
 * {@link #next()} and drives it. An optional greeting is sent first on every connection (which host answered).
 * The listening socket belongs to the network namespace of the thread that creates this.
 */
final class TestUpstream implements AutoCloseable {
    private final ServerSocketChannel server;
    private final boolean echo;
    private final byte[] greeting;
    private final BlockingQueue<SocketChannel> accepted = new LinkedBlockingQueue<>();
    private final List<SocketChannel> all = new CopyOnWriteArrayList<>();
    private final AtomicInteger count = new AtomicInteger();
    private volatile boolean closed;

    private TestUpstream(InetSocketAddress bind, boolean echo, String greeting) throws IOException {
        this.server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(bind, 1024);
        this.echo = echo;
        this.greeting = greeting == null ? new byte[0] : greeting.getBytes();
        Thread.ofPlatform().daemon().name("test-upstream-accept").start(this::acceptLoop);
    }

    static TestUpstream echo(InetSocketAddress bind) throws IOException {
        return new TestUpstream(bind, true, null);
    }

    static TestUpstream echo(InetSocketAddress bind, String greeting) throws IOException {
        return new TestUpstream(bind, true, greeting);
    }

    static TestUpstream manual(InetSocketAddress bind) throws IOException {
        return new TestUpstream(bind, false, null);
    }

    static TestUpstream loopbackEcho() throws IOException {
        return echo(new InetSocketAddress("127.0.0.1", 0));
    }

    static TestUpstream loopbackManual() throws IOException {
        return manual(new InetSocketAddress("127.0.0.1", 0));
    }

    int port() {
        return server.socket().getLocalPort();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.socket().getLocalSocketAddress();
    }

    /** Connections accepted so far. */
    int acceptedCount() {
        return count.get();
    }

    /** The next accepted connection (manual mode), waiting up to the test timeout. */
    SocketChannel next() throws InterruptedException {
        SocketChannel ch = accepted.poll(ProxyTesting.TIMEOUT_MS, TimeUnit.MILLISECONDS);
        if (ch == null) throw new AssertionError("no connection reached the upstream " + address());
        return ch;
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            all.add(ch);
            count.incrementAndGet();
            if (echo) Thread.ofVirtual().start(() -> echo(ch));
            else accepted.add(ch);
        }
    }

    private void echo(SocketChannel ch) {
        try (ch) {
            if (greeting.length > 0) ProxyTesting.writeAll(ch, greeting);
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            while (ch.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) ch.write(buf);
                buf.clear();
            }
            ch.shutdownOutput();
            // wait for the gateway to close its side, so the close here is not a reset
            while (ch.read(buf.clear()) >= 0) {
                // nothing more is expected
            }
        } catch (IOException e) {
            // the test ended the connection
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (SocketChannel ch : all) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
