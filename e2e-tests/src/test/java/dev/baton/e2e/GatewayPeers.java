package dev.baton.e2e;

import dev.baton.demo.GatewayLab;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.baton.netns.NetNamespace;
import dev.baton.socket.StateJson;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.zip.CRC32;

/**
 * Many peers in one process on the peer host: connections of several kinds to one gateway service, each stream
 * checked byte for byte against a pattern the workload ({@code gateway-workload.py}) shares. A JVM per connection
 * would be too heavy for a hundred of them. This class is the test's handle; {@link Program} runs in the peer's
 * namespace and is driven over its stdin and stdout.
 * <pre>
 *   IDLE    ECHO; writes 64 bytes per {@link #ping()}, reads the echo
 *   BULK    ECHO; writes at a steady rate, reads the echo
 *   STALL   ECHO; writes as fast as the windows allow and reads nothing until {@link #drain()}: the queues fill
 *           both ways (peer, gateway, workload) and the writer blocks; it stops writing on {@link #finish}
 *   TAIL    TAIL; writes N bytes and half-closes at once, then reads the echo and the workload's tail, then EOF
 *   FIRST   FIRST; the workload sends N bytes and half-closes first; the peer reads them and EOF, and writes at
 *           a steady rate until {@link #finish}; the workload prints the count and CRC32 of what it got
 * </pre>
 * Every connection of kind IDLE, BULK, STALL and FIRST half-closes on {@link #finish}; then each one's reader must
 * see EOF right after the last expected byte.
 */
final class GatewayPeers implements AutoCloseable {
    enum Kind { IDLE, BULK, STALL, TAIL, FIRST }

    /**
     * One connection's counters.
     *
     * @param written    pattern bytes written (the header line not counted)
     * @param read       bytes read, each checked
     * @param expected   bytes the reader should get in all (-1: as many as were written, an echo)
     * @param eof        the reader saw the end of stream
     * @param mismatchAt stream offset of the first unexpected byte, or -1
     * @param crc        CRC32 of the bytes written
     * @param gapMs      longest time between two reads, once reading started
     */
    record Conn(int id, Kind kind, int port, long written, long read, long expected, boolean eof, long mismatchAt,
                String failure, long crc, double gapMs) {
        boolean clean() {
            return mismatchAt < 0 && failure == null;
        }

        /** Everything expected came back and then the end of stream, nothing more. */
        boolean complete() {
            return clean() && eof && read == (expected < 0 ? written : expected);
        }
    }

    private final Process process;
    private final PrintStream commands;
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    private GatewayPeers(Process process) {
        this.process = process;
        this.commands = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread.ofPlatform().daemon().name("gateway peers stdout").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) events.add(line);
            } catch (IOException ignored) {
                // the process ended
            }
            events.add("EXITED");
        });
    }

    /** The peer program on the lab's peer host, aimed at its service; closed with the lab. */
    static GatewayPeers start(dev.baton.demo.GatewayLab lab) throws IOException {
        GatewayPeers peers = start(lab.lab.host("peer").netns(), lab.service());
        lab.closeLater(peers);
        return peers;
    }

    /** Starts the program in {@code netns}; it connects to {@code service} when told to. */
    static GatewayPeers start(NetNamespace netns, InetSocketAddress service) throws IOException {
        List<String> cmd = new ArrayList<>(netns.command(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), Program.class.getName(), StateJson.format(service)));
        return new GatewayPeers(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
    }

    /** Opens {@code count} connections of {@code kind} (see the class comment for {@code args}); returns their ids. */
    List<Integer> open(Kind kind, int count, long... args) throws InterruptedException {
        StringBuilder cmd = new StringBuilder("OPEN " + kind + " " + count);
        for (long a : args) cmd.append(' ').append(a);
        String[] reply = call(cmd.toString(), "OPENED").split(" ");
        List<Integer> ids = new ArrayList<>();
        for (int i = Integer.parseInt(reply[1]); i <= Integer.parseInt(reply[2]); i++) ids.add(i);
        return ids;
    }

    /** Each IDLE connection writes its next 64 bytes. */
    void ping() throws InterruptedException {
        call("PING", "PINGED");
    }

    /** STALL connections start reading. */
    void drain() throws InterruptedException {
        call("DRAIN", "DRAINING");
    }

    /** The connections {@code ids} stop writing and half-close (TAIL ones did already). */
    void finish(List<Integer> ids) throws InterruptedException {
        StringBuilder cmd = new StringBuilder("FINISH");
        for (int id : ids) cmd.append(' ').append(id);
        call(cmd.toString(), "FINISHING");
    }

    List<Conn> stats() throws Exception {
        String line = call("STATS", "STATS ");
        return GatewayLab.JSON.readValue(line.substring("STATS ".length()), new TypeReference<List<Conn>>() {
        });
    }

    /** Polls the counters until {@code done} holds for all of them; fails at once on a bad byte or a failure. */
    List<Conn> await(String what, Duration timeout, Predicate<Conn> done) throws Exception {
        return await(what, timeout, done, Conn::clean);
    }

    /** Polls the counters until {@code done} holds for all of them; fails at once when one is not {@code ok}. */
    List<Conn> await(String what, Duration timeout, Predicate<Conn> done, Predicate<Conn> ok) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Conn> all = stats();
            List<Conn> bad = all.stream().filter(ok.negate()).toList();
            if (!bad.isEmpty()) throw new AssertionError("peers failed while waiting until " + what + ": " + bad);
            List<Conn> notYet = all.stream().filter(done.negate()).toList();
            if (notYet.isEmpty()) return all;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not " + what + " within " + timeout + ": " + notYet.size() + " of "
                        + all.size() + ", e.g. " + notYet.subList(0, Math.min(5, notYet.size())));
            }
            Thread.sleep(50);
        }
    }

    int pid() {
        return (int) process.pid();
    }

    private String call(String command, String answer) throws InterruptedException {
        commands.println(command);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            String line = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) throw new IllegalStateException("peers: no answer to " + command + " within 20 s");
            if (line.startsWith(answer)) return line;
            if (line.startsWith("ERROR") || line.equals("EXITED")) {
                throw new IllegalStateException("peers failed on " + command + ": " + line);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            commands.println("EXIT");
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
        commands.close();
    }

    /** Fills {@code b[0..len)} with pattern stream {@code stream} from {@code offset} on. */
    static void fill(long stream, long offset, byte[] b, int len) {
        long k = -1, w = 0;
        for (int i = 0; i < len; i++) {
            long o = offset + i;
            if (o >>> 3 != k) {
                k = o >>> 3;
                w = word(stream, k);
            }
            b[i] = (byte) (w >>> (8 * (o & 7)));
        }
    }

    private static long word(long stream, long k) {
        long z = ((stream << 40) ^ k) + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The program: {@code GatewayPeers$Program IP:PORT}. Commands on stdin: {@code OPEN KIND COUNT ARGS…}
     * (IDLE; BULK rate; STALL; TAIL bytes tailBytes tailRate; FIRST greetingBytes rate), {@code PING},
     * {@code DRAIN}, {@code FINISH ID…}, {@code STATS}, {@code EXIT}. Answers on stdout: {@code OPENED FIRST LAST},
     * {@code PINGED}, {@code DRAINING}, {@code FINISHING}, {@code STATS [json]}, {@code ERROR message}.
     */
    static final class Program {
        private final InetSocketAddress service;
        private final List<Peer> peers = Collections.synchronizedList(new ArrayList<>());

        private Program(InetSocketAddress service) {
            this.service = service;
        }

        public static void main(String[] args) throws Exception {
            Program p = new Program(StateJson.parseAddress(args[0]));
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                String[] w = line.trim().split(" ");
                try {
                    switch (w[0]) {
                        case "OPEN" -> p.open(w);
                        case "PING" -> p.ping();
                        case "DRAIN" -> p.drain();
                        case "FINISH" -> p.finish(w);
                        case "STATS" -> say("STATS " + p.stats());
                        case "EXIT" -> System.exit(0);
                        default -> say("ERROR unknown command " + line);
                    }
                } catch (Exception e) {
                    say("ERROR " + line + ": " + e);
                }
            }
            System.exit(0);
        }

        private void open(String[] w) throws IOException {
            Kind kind = Kind.valueOf(w[1]);
            int count = Integer.parseInt(w[2]);
            long[] a = new long[w.length - 3];
            for (int i = 0; i < a.length; i++) a[i] = Long.parseLong(w[3 + i]);
            int first = peers.size();
            for (int i = 0; i < count; i++) {
                Peer peer = new Peer(peers.size(), kind, a, SocketChannel.open(service));
                peers.add(peer);
                peer.start();
            }
            say("OPENED " + first + " " + (peers.size() - 1));
        }

        private void ping() throws IOException {
            for (Peer p : snapshot()) if (p.kind == Kind.IDLE) p.ping();
            say("PINGED");
        }

        private void drain() {
            for (Peer p : snapshot()) if (p.kind == Kind.STALL) p.startReading();
            say("DRAINING");
        }

        private void finish(String[] w) {
            for (int i = 1; i < w.length; i++) peers.get(Integer.parseInt(w[i])).finish.countDown();
            say("FINISHING");
        }

        private String stats() throws IOException {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Peer p : snapshot()) out.add(p.stats());
            return GatewayLab.JSON.writeValueAsString(out);
        }

        private List<Peer> snapshot() {
            synchronized (peers) {
                return List.copyOf(peers);
            }
        }

        private static synchronized void say(String line) {
            System.out.println(line);
            System.out.flush();
        }
    }

    /** One connection of {@link Program}: a writer thread and a reader thread. */
    private static final class Peer {
        final int id;
        final Kind kind;
        final long[] args;
        final SocketChannel ch;
        final int port;
        final long up, down;
        final CountDownLatch finish = new CountDownLatch(1);
        final AtomicLong written = new AtomicLong();
        final AtomicLong read = new AtomicLong();
        final CRC32 crc = new CRC32();
        private final byte[] want = new byte[64 << 10];
        volatile boolean eof;
        volatile long mismatchAt = -1;
        volatile String failure;
        volatile long gapNanos;
        private boolean reading;
        private boolean shut;

        Peer(int id, Kind kind, long[] args, SocketChannel ch) throws IOException {
            this.id = id;
            this.kind = kind;
            this.args = args;
            this.ch = ch;
            this.port = ((InetSocketAddress) ch.getLocalAddress()).getPort();
            this.up = 2L * id;
            this.down = 2L * id + 1;
            String header = switch (kind) {
                case IDLE, BULK, STALL -> "ECHO\n";
                case TAIL -> "TAIL " + down + " " + args[1] + " " + args[2] + "\n";
                case FIRST -> "FIRST " + down + " " + args[0] + " " + id + "\n";
            };
            ByteBuffer h = ByteBuffer.wrap(header.getBytes(StandardCharsets.US_ASCII));
            while (h.hasRemaining()) ch.write(h);
        }

        void start() {
            Thread.ofPlatform().daemon().name("peer " + id + " writer").start(this::write);
            if (kind != Kind.STALL) startReading();
        }

        synchronized void startReading() {
            if (reading) return;
            reading = true;
            Thread.ofPlatform().daemon().name("peer " + id + " reader").start(this::read);
        }

        /** Bytes the reader should get in all, or -1 for an echo of everything written. */
        long expected() {
            return switch (kind) {
                case IDLE, BULK, STALL -> -1;
                case TAIL -> args[0] + args[1];
                case FIRST -> args[0];
            };
        }

        private void write() {
            try {
                switch (kind) {
                    case BULK -> paced(args[0]);
                    case FIRST -> paced(args[1]);
                    case STALL -> {
                        byte[] chunk = new byte[64 << 10];
                        while (finish.getCount() > 0) writeChunk(chunk, chunk.length);
                    }
                    case TAIL -> {
                        burst(args[0]);
                        shutdown();
                        return;
                    }
                    case IDLE -> {
                    }
                }
                finish.await();
                shutdown();
            } catch (IOException | InterruptedException e) {
                fail("write: " + e);
            }
        }

        private void paced(long rate) throws IOException {
            byte[] chunk = new byte[(int) Math.max(512, rate / 100)];
            long interval = 1_000_000_000L * chunk.length / rate;
            long next = System.nanoTime();
            while (finish.getCount() > 0) {
                writeChunk(chunk, chunk.length);
                next += interval;
                long wait = next - System.nanoTime();
                if (wait > 0) LockSupport.parkNanos(wait);
                else if (wait < -1_000_000_000L) next = System.nanoTime(); // no burst after a pause
            }
        }

        private void burst(long bytes) throws IOException {
            byte[] chunk = new byte[64 << 10];
            while (written.get() < bytes) writeChunk(chunk, (int) Math.min(chunk.length, bytes - written.get()));
        }

        private void writeChunk(byte[] chunk, int len) throws IOException {
            fill(up, written.get(), chunk, len);
            ByteBuffer b = ByteBuffer.wrap(chunk, 0, len);
            while (b.hasRemaining()) ch.write(b);
            synchronized (crc) {
                crc.update(chunk, 0, len);
            }
            written.addAndGet(len);
        }

        synchronized void ping() throws IOException {
            if (shut) return;
            writeChunk(new byte[64], 64);
        }

        private synchronized void shutdown() throws IOException {
            shut = true;
            ch.shutdownOutput();
        }

        private void read() {
            ByteBuffer b = ByteBuffer.allocate(64 << 10);
            long last = 0;
            try {
                while (true) {
                    b.clear();
                    int n = ch.read(b);
                    if (n < 0) {
                        eof = true;
                        return;
                    }
                    long now = System.nanoTime();
                    if (last != 0 && now - last > gapNanos) gapNanos = now - last;
                    last = now;
                    check(b.array(), n);
                }
            } catch (IOException e) {
                fail("read: " + e);
            }
        }

        private void check(byte[] buf, int n) {
            long offset = read.get();
            long expected = expected();
            // beyond what the workload should ever send, every byte is a mismatch
            int inRange = expected < 0 || offset + n <= expected ? n : (int) Math.max(0, expected - offset);
            for (int i = 0; i < inRange && mismatchAt < 0; ) {
                long o = offset + i;
                long stream = kind == Kind.FIRST || (kind == Kind.TAIL && o >= args[0]) ? down : up;
                long at = kind == Kind.TAIL && o >= args[0] ? o - args[0] : o;
                long segmentEnd = kind == Kind.TAIL && o < args[0] ? args[0] : Long.MAX_VALUE;
                int len = (int) Math.min(inRange - i, segmentEnd - o);
                fill(stream, at, want, len);
                int m = Arrays.mismatch(buf, i, i + len, want, 0, len);
                if (m >= 0) mismatchAt = o + m;
                i += len;
            }
            if (mismatchAt < 0 && inRange < n) mismatchAt = offset + inRange;
            read.addAndGet(n);
        }

        private void fail(String message) {
            if (failure == null) failure = message;
        }

        Map<String, Object> stats() {
            long c;
            synchronized (crc) {
                c = crc.getValue();
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("kind", kind);
            m.put("port", port);
            m.put("written", written.get());
            m.put("read", read.get());
            m.put("expected", expected());
            m.put("eof", eof);
            m.put("mismatchAt", mismatchAt);
            m.put("failure", failure);
            m.put("crc", c);
            m.put("gapMs", gapNanos / 1e6);
            return m;
        }
    }
}
