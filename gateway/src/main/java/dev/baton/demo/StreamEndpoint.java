package dev.baton.demo;

import dev.baton.demo.StreamPattern.Direction;
import dev.baton.socket.RepairSession;
import dev.baton.socket.SocketCapture;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpSocketState;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A small program that streams checked bytes both ways over one TCP connection — the workload and the peer
 * of the demo and the tests. Each direction carries {@link StreamPattern}; the reader checks every byte and
 * records the longest silence between two reads.
 * <pre>
 *   serve   IP:PORT                     accept one connection (the workload)
 *   connect IP:PORT                     connect (the peer)
 *   resume                              print WAITING; on "STATE FILE WRITTEN READ" rebuild the handed-over
 *                                       socket in repair mode, print READY; on GO resume it and stream
 * </pre>
 * Options after the mode: {@code --rate BYTES_PER_S} (default 102400), {@code --chunk BYTES} (default 512),
 * {@code --echo}: the other end is an echo (a stock program such as {@code socat TCP:… EXEC:cat}) rather than
 * another StreamEndpoint, so the reader expects back the stream this endpoint writes (the same
 * {@link StreamPattern.Direction} as its writer), from the same offset on; the read offset handed to
 * {@code resume} is then an offset into that echoed stream.
 * Commands on stdin: {@code STATE file written read}, {@code GO}, {@code STOP} (stop writing), {@code RESET} (forget the longest gap so far), {@code STATS}, {@code EXIT}. Events on stdout:
 * {@code LISTENING}, {@code WAITING}, {@code READY}, {@code CONNECTED}, {@code STATS {json}}, {@code ERROR message}.
 */
public final class StreamEndpoint {
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong read = new AtomicLong();
    private final AtomicLong mismatchAt = new AtomicLong(-1);
    private final AtomicLong longestGapNanos = new AtomicLong();
    private volatile boolean writing = true;
    private volatile String failure;

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: StreamEndpoint serve|connect IP:PORT | resume - [--rate B/s] [--chunk B] [--echo]");
            System.exit(2);
        }
        int rate = intOption(args, "--rate", 102_400);
        int chunk = intOption(args, "--chunk", 512);
        boolean echo = java.util.Arrays.asList(args).contains("--echo");
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StreamEndpoint endpoint = new StreamEndpoint();
        ByteChannel channel;
        Direction out;
        switch (args[0]) {
            case "serve" -> {
                ServerSocketChannel server = ServerSocketChannel.open();
                server.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
                server.bind(StateJson.parseAddress(args[1]));
                say("LISTENING");
                channel = server.accept();
                server.close();
                out = Direction.FROM_SERVER;
            }
            case "connect" -> {
                channel = SocketChannel.open(StateJson.parseAddress(args[1]));
                out = Direction.FROM_CLIENT;
            }
            case "resume" -> {
                // Started ahead of the handoff so that JVM start-up stays out of the freeze.
                SocketCapture.warmUp();
                say("WAITING");
                String[] handover = awaitCommand(commands, "STATE").split(" ");
                TcpSocketState state = StateJson.read(Files.readString(Path.of(handover[1])));
                endpoint.written.set(Long.parseLong(handover[2]));
                endpoint.read.set(Long.parseLong(handover[3]));
                RepairSession session = RepairSession.rebuild(state);
                say("READY");
                awaitCommand(commands, "GO");
                session.resume();
                channel = session.socket().channel();
                out = Direction.FROM_SERVER;
            }
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
        say("CONNECTED");
        endpoint.start(channel, out, echo ? out : opposite(out), rate, chunk);
        endpoint.serveCommands(commands);
        System.exit(0);
    }

    private static String awaitCommand(BufferedReader commands, String command) throws IOException {
        String line;
        while ((line = commands.readLine()) != null) {
            if (line.startsWith(command)) return line;
        }
        throw new IOException("stdin closed while waiting for " + command);
    }

    private static Direction opposite(Direction d) {
        return d == Direction.FROM_SERVER ? Direction.FROM_CLIENT : Direction.FROM_SERVER;
    }

    private void start(ByteChannel channel, Direction out, Direction in, int rate, int chunk) {
        Thread.ofPlatform().daemon().name("writer").start(() -> writeLoop(channel, out, rate, chunk));
        Thread.ofPlatform().daemon().name("reader").start(() -> readLoop(channel, in));
    }

    private void writeLoop(ByteChannel channel, Direction d, int rate, int chunk) {
        byte[] buf = new byte[chunk];
        long intervalNanos = 1_000_000_000L * chunk / rate;
        long next = System.nanoTime();
        try {
            while (writing) {
                StreamPattern.fill(d, written.get(), buf, chunk);
                ByteBuffer bb = ByteBuffer.wrap(buf);
                while (bb.hasRemaining()) written.addAndGet(channel.write(bb));
                next += intervalNanos;
                long wait = next - System.nanoTime();
                if (wait > 0) LockSupport.parkNanos(wait);
                else if (wait < -1_000_000_000L) next = System.nanoTime(); // after a pause, do not burst to catch up
            }
        } catch (IOException e) {
            fail("write: " + e.getMessage());
        }
    }

    private void readLoop(ByteChannel channel, Direction d) {
        ByteBuffer bb = ByteBuffer.allocate(64 << 10);
        long last = 0;
        try {
            while (true) {
                bb.clear();
                int n = channel.read(bb);
                if (n < 0) return;
                long now = System.nanoTime();
                if (last != 0 && now - last > longestGapNanos.get()) longestGapNanos.set(now - last);
                last = now;
                long offset = read.get();
                int bad = StreamPattern.firstMismatch(d, offset, bb.array(), n);
                if (bad >= 0 && mismatchAt.get() < 0) mismatchAt.set(offset + bad);
                read.addAndGet(n);
            }
        } catch (IOException e) {
            fail("read: " + e.getMessage());
        }
    }

    private void serveCommands(BufferedReader commands) throws IOException {
        String line;
        while ((line = commands.readLine()) != null) {
            switch (line.trim()) {
                case "STOP" -> writing = false;
                case "RESET" -> longestGapNanos.set(0); // measure from now: start-up hiccups are not the subject
                case "STATS" -> say("STATS " + stats());
                case "EXIT" -> {
                    return;
                }
                default -> say("ERROR unknown command " + line);
            }
        }
    }

    private String stats() {
        return String.format("{\"written\":%d,\"read\":%d,\"mismatchAt\":%d,\"longestGapMs\":%.3f,\"failure\":%s}",
                written.get(), read.get(), mismatchAt.get(), longestGapNanos.get() / 1e6,
                failure == null ? "null" : "\"" + failure.replace("\"", "'") + "\"");
    }

    private void fail(String message) {
        if (failure == null) failure = message;
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    private static int intOption(String[] args, String name, int fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) return Integer.parseInt(args[i + 1]);
        }
        return fallback;
    }
}
