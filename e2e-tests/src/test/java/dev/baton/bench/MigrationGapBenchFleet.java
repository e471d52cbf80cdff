package dev.baton.bench;

import dev.baton.socket.StateJson;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Many peers in one process: {@code N} TCP connections to an echo, each sending a small message {@code R} times a
 * second (the sends of all connections spread evenly over the interval), each checking every echoed byte against
 * what it sent and recording its longest silence — the time between two reads of its echo. One thread, one
 * selector. Run inside the peer's namespace by {@link MigrationGapBenchFleetProcess}.
 * <pre>
 *   MigrationGapBenchFleet IP:PORT CONNECTIONS MESSAGES_PER_S [MESSAGE_BYTES]
 * </pre>
 * Prints {@code CONNECTED n} once every connection is up. Commands on stdin: {@code RESET} (a new gap window),
 * {@code STATS} (prints {@code STATS {json}}: the longest silence of the window, worst and median connection, the
 * longest current silence, bytes, failures), {@code EXIT}.
 */
public final class MigrationGapBenchFleet {
    private static final long SECOND = 1_000_000_000L;

    private final Peer[] peers;
    private final long intervalNanos;
    private final int messageBytes;
    private final ConcurrentLinkedQueue<String> commands = new ConcurrentLinkedQueue<>();
    private final Selector selector;
    private String firstFailure;
    private int failures;
    private long mismatches;

    /** One connection: where its stream is on each side, its last read, its longest silence this window. */
    private static final class Peer {
        final int index;
        final SocketChannel channel;
        long written;
        long read;
        long lastRead;
        long longestNanos;
        boolean failed;

        Peer(int index, SocketChannel channel, long now) {
            this.index = index;
            this.channel = channel;
            this.lastRead = now;
        }
    }

    private MigrationGapBenchFleet(InetSocketAddress target, int count, int messagesPerSecond, int messageBytes)
            throws IOException {
        this.intervalNanos = SECOND / messagesPerSecond;
        this.messageBytes = messageBytes;
        this.selector = Selector.open();
        this.peers = new Peer[count];
        for (int i = 0; i < count; i++) {
            SocketChannel c = SocketChannel.open(target);
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.configureBlocking(false);
            peers[i] = new Peer(i, c, System.nanoTime());
            c.register(selector, SelectionKey.OP_READ, peers[i]);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: MigrationGapBenchFleet IP:PORT CONNECTIONS MESSAGES_PER_S [MESSAGE_BYTES]");
            System.exit(2);
        }
        MigrationGapBenchFleet fleet = new MigrationGapBenchFleet(StateJson.parseAddress(args[0]),
                Integer.parseInt(args[1]), Integer.parseInt(args[2]), args.length > 3 ? Integer.parseInt(args[3]) : 16);
        say("CONNECTED " + fleet.peers.length);
        Thread.ofPlatform().daemon().name("commands").start(fleet::readCommands);
        fleet.loop();
        System.exit(0);
    }

    /** The byte at {@code offset} of connection {@code index}'s stream: differs between connections and offsets. */
    static byte pattern(int index, long offset) {
        return (byte) (offset * 31 ^ offset >>> 7 ^ index * 17);
    }

    private void readCommands() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                commands.add(line.trim());
                selector.wakeup();
            }
        } catch (IOException ignored) {
            // stdin closed: end
        }
        commands.add("EXIT");
        selector.wakeup();
    }

    /**
     * Send number {@code j} (all connections together) is due at {@code start + j·interval/N}: connection
     * {@code j mod N}'s next message. After a stall of more than a second the schedule restarts from now instead of
     * bursting to catch up.
     */
    private void loop() throws IOException {
        ByteBuffer in = ByteBuffer.allocate(64 << 10);
        ByteBuffer out = ByteBuffer.allocate(messageBytes);
        int n = peers.length;
        long start = System.nanoTime();
        long next = 0;
        while (true) {
            long now = System.nanoTime();
            long due = start + next * intervalNanos / n;
            if (now - due > SECOND) {
                start = now - next * intervalNanos / n;
                due = now;
            }
            while (due <= now) {
                send(peers[(int) (next % n)], out);
                next++;
                due = start + next * intervalNanos / n;
            }
            long waitMs = Math.max(1, (due - System.nanoTime()) / 1_000_000);
            selector.select(waitMs);
            now = System.nanoTime();
            for (SelectionKey k : selector.selectedKeys()) {
                if (k.isValid() && k.isReadable()) receive((Peer) k.attachment(), in, now);
            }
            selector.selectedKeys().clear();
            for (String c; (c = commands.poll()) != null; ) {
                switch (c) {
                    case "RESET" -> {
                        for (Peer p : peers) p.longestNanos = 0;
                    }
                    case "STATS" -> say("STATS " + stats(System.nanoTime()));
                    case "EXIT" -> {
                        return;
                    }
                    default -> say("ERROR unknown command " + c);
                }
            }
        }
    }

    /** The next message of {@code p}; what the socket does not take now is sent with its next message. */
    private void send(Peer p, ByteBuffer out) {
        if (p.failed) return;
        out.clear();
        for (int i = 0; i < messageBytes; i++) out.put(pattern(p.index, p.written + i));
        out.flip();
        try {
            p.written += p.channel.write(out);
        } catch (IOException e) {
            fail(p, "write: " + e.getMessage());
        }
    }

    private void receive(Peer p, ByteBuffer in, long now) {
        try {
            in.clear();
            int got = p.channel.read(in);
            if (got < 0) {
                fail(p, "the echo closed the connection");
                return;
            }
            if (got == 0) return;
            if (now - p.lastRead > p.longestNanos) p.longestNanos = now - p.lastRead;
            p.lastRead = now;
            for (int i = 0; i < got; i++) {
                if (in.get(i) != pattern(p.index, p.read + i)) {
                    mismatches++;
                    fail(p, "byte " + (p.read + i) + " of the echo differs from what was sent");
                    return;
                }
            }
            p.read += got;
        } catch (IOException e) {
            fail(p, "read: " + e.getMessage());
        }
    }

    private void fail(Peer p, String why) {
        if (p.failed) return;
        p.failed = true;
        failures++;
        if (firstFailure == null) firstFailure = "connection " + p.index + ": " + why;
        try {
            p.channel.close();
        } catch (IOException ignored) {
            // failed already
        }
    }

    private String stats(long now) {
        double[] gaps = new double[peers.length];
        double silentNow = 0;
        long written = 0, read = 0;
        for (int i = 0; i < peers.length; i++) {
            Peer p = peers[i];
            gaps[i] = p.longestNanos / 1e6;
            if (!p.failed) silentNow = Math.max(silentNow, (now - p.lastRead) / 1e6);
            written += p.written;
            read += p.read;
        }
        Arrays.sort(gaps);
        return String.format(Locale.ROOT, "{\"connections\":%d,\"maxGapMs\":%.3f,\"medianGapMs\":%.3f,"
                        + "\"silentNowMs\":%.3f,\"written\":%d,\"read\":%d,\"failures\":%d,\"mismatches\":%d,"
                        + "\"firstFailure\":%s}", peers.length, gaps[gaps.length - 1], gaps[gaps.length / 2], silentNow,
                written, read, failures, mismatches,
                firstFailure == null ? "null" : "\"" + firstFailure.replace("\"", "'") + "\"");
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
