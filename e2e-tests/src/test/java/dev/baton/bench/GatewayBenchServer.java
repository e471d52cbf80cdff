package dev.baton.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server of the gateway benchmark, a process of its own on the server host. The first byte a connection
 * sends names what it wants:
 * <pre>
 *   S  sink: read everything until EOF, then answer the byte count (8 bytes, big-endian) and close
 *   E  echo: send back everything read, until EOF
 *   C  connection rate: send the 'C' back and close at once (the server closes first, so TIME_WAIT stays here
 *      and neither the client's nor the proxy's ports run out)
 *   I  idle: hold the connection until the other side closes it; counted
 * </pre>
 * One selector thread accepts, reads the first byte and serves C and I; S and E connections move to a platform
 * thread each with blocking I/O, the cheapest path per byte and per round trip, so the server stays off the
 * critical path of whatever sits in front of it. Commands on stdin: {@code IDLE} (answers {@code IDLE n}, the
 * idle connections open now). It prints {@code LISTENING} once bound and ends when stdin closes.
 * <pre>
 *   args: IP:PORT
 * </pre>
 */
public final class GatewayBenchServer {
    static final byte SINK = 'S';
    static final byte ECHO = 'E';
    static final byte CONNECT = 'C';
    static final byte IDLE = 'I';

    private static final Object IDLE_MARK = new Object();
    private final AtomicInteger idle = new AtomicInteger();

    public static void main(String[] args) throws Exception {
        InetSocketAddress address = parse(args[0]);
        ServerSocketChannel server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(address, 8192);
        server.configureBlocking(false);
        GatewayBenchServer s = new GatewayBenchServer();
        Thread.ofPlatform().name("selector").start(() -> s.serve(server));
        System.out.println("LISTENING");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("IDLE")) System.out.println("IDLE " + s.idle.get());
        }
        System.exit(0);
    }

    static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(InetAddress.ofLiteral(hostPort.substring(0, colon)),
                Integer.parseInt(hostPort.substring(colon + 1)));
    }

    private void serve(ServerSocketChannel server) {
        try (Selector selector = Selector.open()) {
            server.register(selector, SelectionKey.OP_ACCEPT);
            ByteBuffer first = ByteBuffer.allocate(1);
            ByteBuffer discard = ByteBuffer.allocate(4096);
            List<SocketChannel> handOff = new ArrayList<>();
            List<Byte> modes = new ArrayList<>();
            while (true) {
                selector.select();
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) continue;
                    if (key.isAcceptable()) {
                        try {
                            SocketChannel c;
                            while ((c = server.accept()) != null) {
                                c.configureBlocking(false);
                                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                                c.register(selector, SelectionKey.OP_READ);
                            }
                        } catch (IOException e) {
                            // Out of fds, say: the connection waits in the backlog; the client's count tells.
                            System.err.println("bench server: accept: " + e.getMessage());
                        }
                        continue;
                    }
                    SocketChannel c = (SocketChannel) key.channel();
                    try {
                        if (key.attachment() == IDLE_MARK) {
                            discard.clear();
                            if (c.read(discard) < 0) closeIdle(key);
                            continue;
                        }
                        first.clear();
                        int n = c.read(first);
                        if (n < 0) {
                            key.cancel();
                            c.close();
                        } else if (n == 1) {
                            byte mode = first.get(0);
                            switch (mode) {
                                case CONNECT -> {
                                    first.flip();
                                    c.write(first); // one byte into an empty send buffer: never short
                                    key.cancel();
                                    c.close();
                                }
                                case IDLE -> {
                                    key.attach(IDLE_MARK);
                                    idle.incrementAndGet();
                                }
                                case SINK, ECHO -> {
                                    key.cancel();
                                    handOff.add(c);
                                    modes.add(mode);
                                }
                                default -> {
                                    key.cancel();
                                    c.close();
                                }
                            }
                        }
                    } catch (IOException e) {
                        if (key.attachment() == IDLE_MARK) closeIdle(key);
                        else closeQuietly(key);
                    }
                }
                selector.selectedKeys().clear();
                if (!handOff.isEmpty()) {
                    selector.selectNow(); // deregisters the cancelled keys, so the channels may block again
                    for (int i = 0; i < handOff.size(); i++) {
                        SocketChannel c = handOff.get(i);
                        c.configureBlocking(true);
                        boolean sink = modes.get(i) == SINK;
                        Thread.ofPlatform().name(sink ? "sink" : "echo").start(() -> {
                            try (c) {
                                if (sink) sink(c);
                                else echo(c);
                            } catch (IOException ignored) {
                                // the client went away; nothing to report from here
                            }
                        });
                    }
                    handOff.clear();
                    modes.clear();
                }
            }
        } catch (IOException e) {
            System.out.println("ERROR selector: " + e);
            System.exit(1);
        }
    }

    private void closeIdle(SelectionKey key) {
        idle.decrementAndGet();
        closeQuietly(key);
    }

    private static void closeQuietly(SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // closing a broken connection
        }
    }

    private static void sink(SocketChannel c) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
        long total = 0;
        int n;
        while ((n = c.read(buf)) >= 0) {
            total += n;
            buf.clear();
        }
        ByteBuffer count = ByteBuffer.allocate(Long.BYTES).putLong(0, total);
        while (count.hasRemaining()) c.write(count);
    }

    private static void echo(SocketChannel c) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
        while (c.read(buf) >= 0) {
            buf.flip();
            while (buf.hasRemaining()) c.write(buf);
            buf.clear();
        }
    }
}
