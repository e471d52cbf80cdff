package dev.baton.ckpt.agent;

import dev.baton.ckpt.Checkpointer;
import dev.baton.ckpt.criu.CriuLaunch;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.netns.NetnsLab;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpSocketState;
import dev.baton.socket.TcpState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The two-step migration with real CRIU: two agents in two namespaces of a NetnsLab (hosts a and b, different
 * IPs), the caller — in the gateway's place — in a third, and a peer (socat, a stock tool) in a fourth holding one
 * connection to the workload, an echo server that counts in memory. The caller checkpoints the workload on a
 * (network lock skipped, as the gateway does), reads the connection's sequence numbers, and then rolls back, ships
 * the kept dump to b with a send-queue sync, or lets the settle timeout restore it on a.
 */
@Tag("privileged")
class KeptDumpLabTest {
    private static final int PORT = 7000;
    private static final int AGENT_PORT = 7441;
    private static final DumpRequest AS_THE_GATEWAY_DOES = new DumpRequest("echo", true);
    /** Echoes every connection's bytes; prints "tick N echoed M" every 100 ms from counters in memory. */
    private static final List<String> ECHO_COUNTER = List.of("/usr/bin/python3", "-u", "-c", """
            import socket, threading, time
            echoed = 0
            def serve(c):
                global echoed
                while True:
                    data = c.recv(65536)
                    if not data:
                        break
                    c.sendall(data)
                    echoed += len(data)
            def accept(s):
                while True:
                    c, _ = s.accept()
                    threading.Thread(target=serve, args=(c,), daemon=True).start()
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", %d))
            s.listen()
            threading.Thread(target=accept, args=(s,), daemon=True).start()
            print("LISTENING", flush=True)
            tick = 0
            while True:
                print("tick %%d echoed %%d" %% (tick, echoed), flush=True)
                tick += 1
                time.sleep(0.1)
            """.formatted(PORT));

    @TempDir
    Path tmp;
    private NetnsLab lab;
    private ClusterKeys keysA;
    private ClusterKeys keysCaller;
    private Workloads workloadsA;
    private Workloads workloadsB;
    private AgentServer agentA;
    private AgentClient caller;
    private Peer peer;
    private final List<AutoCloseable> closers = new ArrayList<>();

    @BeforeEach
    void twoAgentsAPeerAndACaller() throws Exception {
        lab = NetnsLab.create("peer", "a", "b", "gw");
        keysA = ClusterKeys.init(tmp.resolve("keys-a"), "a");
        ClusterKeys keysB = ClusterKeys.issue(tmp.resolve("keys-a"), "b", tmp.resolve("keys-b"));
        keysCaller = ClusterKeys.issue(tmp.resolve("keys-a"), "gateway", tmp.resolve("keys-gw"));
        workloadsA = new Workloads(tmp.resolve("a/workloads"));
        workloadsB = new Workloads(tmp.resolve("b/workloads"));
        closers.add(agent("b", keysB, workloadsB, AgentServer.Options.DEFAULT_SETTLE_TIMEOUT));
        agentA = agent("a", keysA, workloadsA, AgentServer.Options.DEFAULT_SETTLE_TIMEOUT);
        caller = AgentClient.connect(agentAt("a"), keysCaller, lab.host("gw").netns());
    }

    private AgentServer agent(String host, ClusterKeys keys, Workloads workloads, Duration settleTimeout)
            throws IOException {
        Checkpointer ckpt = new Checkpointer(workloads, keys, tmp.resolve(host + "/images"), CriuLaunch.defaults());
        return AgentServer.start(agentAt(host), keys, ckpt, AgentServer.Options.defaults()
                .inNetns(lab.host(host).netns()).withSettleTimeout(settleTimeout));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (caller != null) caller.close();
            if (agentA != null) agentA.close();
            for (AutoCloseable c : closers.reversed()) c.close();
            if (peer != null) peer.close();
            for (Workloads w : List.of(workloadsA, workloadsB)) {
                for (Workload each : w.list()) {
                    w.kill(each.name());
                    await("workload " + each.name() + " to end", () -> !Workloads.isRunning(each));
                }
            }
        } finally {
            if (lab != null) lab.close();
        }
    }

    @Test
    void aCheckpointListsTheConnectionAsSeenOnTheWireWithTheSequenceNumbersThePeersSocketShows() throws Exception {
        Workload echo = startEcho();
        peer = Peer.connect(lab.host("peer"), serviceOn("a"));
        assertEquals("hello", peer.roundTrip("hello"));

        DumpReport report = caller.checkpoint(AS_THE_GATEWAY_DOES, Hooks.NONE);

        assertFalse(Workloads.isRunning(echo), "dumped: gone from a until the dump is settled");
        assertEquals(0, report.bundleBytes(), "nothing streamed");
        assertEquals(1, report.connections().size(), report.connections().toString());
        DumpedConnection c = report.connections().getFirst();
        SocketEntry peerEnd = peer.connection();
        assertEquals(serviceOn("a"), c.local());
        assertEquals(peerEnd.local(), c.remote(), "the peer's address and port as on the wire");
        assertEquals(TcpState.ESTABLISHED, c.state());
        TcpSocketState seen = peer.capture();
        assertEquals(seen.receiveQueue().endSeq(), c.sndNxt(), "the peer's rcv_nxt: it has all the workload sent");
        assertEquals(seen.sendQueue().unsentSeq(), c.rcvNxt(), "the peer's snd_nxt: the workload had all it sent");
        assertEquals(seen.sendQueue().seq(), c.rcvNxt(), "nothing the peer sent was unacknowledged");
        assertEquals(c.sndNxt(), c.sndUna(), "nothing the workload sent was unacknowledged");

        caller.rollback(report.dumpId(), Hooks.NONE);
        assertEquals("still here", peer.roundTrip("still here"), "the connection lives on after the rollback");
    }

    /**
     * CRIU refuses to dump a workload with a connection the kernel completed but the workload has not accepted yet
     * ("in-flight connection"). After pre-dump (where the gateway freezes its flows) the workload gets the time to
     * accept what is queued before CRIU freezes it; without that wait this dump fails.
     */
    @Test
    void aConnectionStillInTheAcceptQueueAtPreDumpIsAcceptedBeforeCriuFreezesTheWorkload() throws Exception {
        Path gate = tmp.resolve("accept-now");
        Workload echo = workloadsA.start("echo", gatedEcho(gate), lab.host("a").nsName());
        await("echo to listen", () -> output(echo).contains("LISTENING"));
        peer = Peer.connect(lab.host("peer"), serviceOn("a"));
        await("the connection to wait in echo's accept queue", () -> workloadsA.pendingAccepts(echo) == 1);
        Hooks opensTheGate = new Hooks() {
            @Override
            public void reached(String host, String point, long pid) throws IOException {
                if (point.equals("pre-dump")) Files.createFile(gate); // echo accepts from now on
            }
        };

        DumpReport report = caller.checkpoint(AS_THE_GATEWAY_DOES, opensTheGate);

        assertEquals(1, report.connections().size(), "accepted before the dump, so in it: " + report.connections());
        caller.rollback(report.dumpId(), Hooks.NONE);
        assertEquals("served", peer.roundTrip("served"), "the connection lives on after the rollback");
    }

    /** An echo server that accepts only once {@code gate} exists; until then connections wait in its queue. */
    private static List<String> gatedEcho(Path gate) {
        return List.of("/usr/bin/python3", "-u", "-c", """
                import os, socket, threading, time
                def serve(c):
                    while True:
                        data = c.recv(65536)
                        if not data:
                            break
                        c.sendall(data)
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", %d))
                s.listen()
                print("LISTENING", flush=True)
                while not os.path.exists(%s):
                    time.sleep(0.15)  # slower than CRIU goes from pre-dump to freezing it
                while True:
                    c, _ = s.accept()
                    threading.Thread(target=serve, args=(c,), daemon=True).start()
                """.formatted(PORT, "'" + gate + "'"));
    }

    @Test
    void aCheckpointRolledBackRunsTheWorkloadAgainOnAWithItsMemory() throws Exception {
        Workload echo = startEcho();
        peer = Peer.connect(lab.host("peer"), serviceOn("a"));
        assertEquals("12345", peer.roundTrip("12345"));
        DumpReport report = caller.checkpoint(AS_THE_GATEWAY_DOES, Hooks.NONE);
        int ticksAtDump = ticks(echo).size();

        RestoreReport back = caller.rollback(report.dumpId(), Hooks.NONE);

        Workload again = workloadsA.get("echo");
        assertEquals(back.pid(), again.rootPid());
        assertTrue(Workloads.isRunning(again), "running on a again");
        assertEquals("678", peer.roundTrip("678"), "over the same connection");
        List<Tick> ticks = awaitTicks(again, ticksAtDump + 3, t -> t.echoed() >= "12345\n".length() + "678\n".length());
        assertCountsOn(ticks);
        assertEquals(List.of(), imagesLeft("a"), "the rollback used up the images");
        assertNoCriuTables("a");
    }

    @Test
    void aKeptDumpShippedWithASyncEntryIsRestoredOnBAtItsAddressAndTheConnectionFollows() throws Exception {
        Workload echo = startEcho();
        peer = Peer.connect(lab.host("peer"), serviceOn("a"));
        assertEquals("before", peer.roundTrip("before"));
        DumpReport report = caller.checkpoint(AS_THE_GATEWAY_DOES, Hooks.NONE);
        int ticksAtDump = ticks(echo).size();
        DumpedConnection c = report.connections().getFirst();
        SendQueueSync sync;
        // The peer's end follows first, as the gateway's own sockets would: re-aimed at b in place, with its
        // packets to b held until b's socket exists (else b's kernel answers them with RST).
        try (PacketHold held = PacketHold.toward(lab.host("peer"), lab.host("b"))) {
            TcpSocketState peerState = peer.repoint(serviceOn("b"));
            sync = new SendQueueSync(c.local(), c.remote(), peerState.receiveQueue().endSeq());

            ShipReport ship = caller.shipKept(report.dumpId(), List.of(sync), agentAt("b"), toB(), Hooks.NONE);

            assertEquals(List.of(new SyncedSendQueue(sync, 0, 0)), ship.synced(), "the peer had all, nothing resent");
            assertEquals("b", ship.target());
            assertEquals(1, ship.restore().rewrittenSockets(), "the connection's local address; the listener is 0.0.0.0");
            assertEquals(List.of("sync", "connect", "seal", "restore", "total"), List.copyOf(ship.phasesMs().keySet()));
            assertEquals(ship.bytes(), ship.dump().bundleBytes());
        }
        Workload moved = workloadsB.get("echo");
        assertEquals(lab.host("b").nsName(), moved.netns());
        assertTrue(Workloads.isRunning(moved), "running on b");
        assertFalse(Workloads.isRunning(echo), "gone from a");
        assertEquals("after the move", peer.roundTrip("after the move"), "the same connection, now to b");
        assertCountsOn(awaitTicks(moved, ticksAtDump + 3, t -> t.echoed() >= "before\n".length() + "after the move\n".length()));
        assertEquals(List.of(), imagesLeft("a"), "a committed the dump");
        assertEquals(List.of(), imagesLeft("b"));
        assertNoCriuTables("a");
    }

    @Test
    void aKeptDumpNobodySettlesRunsAgainOnAAfterTheSettleTimeout() throws Exception {
        caller.close();
        agentA.close();
        agentA = agent("a", keysA, workloadsA, Duration.ofSeconds(1));
        caller = AgentClient.connect(agentAt("a"), keysCaller, lab.host("gw").netns());
        Workload echo = startEcho();
        peer = Peer.connect(lab.host("peer"), serviceOn("a"));
        assertEquals("ping", peer.roundTrip("ping"));
        DumpReport report = caller.checkpoint(AS_THE_GATEWAY_DOES, Hooks.NONE);
        int ticksAtDump = ticks(echo).size();
        long dumpedAt = System.nanoTime();

        await("echo to run on a again", () -> Workloads.isRunning(workloadsA.get("echo")));

        assertTrue(System.nanoTime() - dumpedAt >= Duration.ofMillis(900).toNanos(), "not before the timeout");
        assertEquals("pong", peer.roundTrip("pong"), "nothing lost: the connection too");
        assertCountsOn(awaitTicks(workloadsA.get("echo"), ticksAtDump + 3, t -> t.echoed() >= "ping\n".length() + "pong\n".length()));
        AgentException late = assertThrows(AgentException.class, () -> caller.commit(report.dumpId()));
        assertTrue(late.remoteMessage().startsWith("no kept dump " + report.dumpId() + " on a: it was rolled back "
                + "here because nobody settled it within the settle timeout of 1 s (echo runs here again as pid "),
                late.remoteMessage());
        assertEquals(List.of(), imagesLeft("a"));
    }

    @Test
    void aKeptDumpShippedToATargetWhosePortIsTakenIsRestoredOnAAfterTheCallerHeardOfIt() throws Exception {
        Workload echo = startEcho();
        peer = Peer.connect(lab.host("peer"), serviceOn("a"));
        assertEquals("one", peer.roundTrip("one"));
        Process squatter = new ProcessBuilder(lab.host("b").command("socat",
                "TCP-LISTEN:" + PORT + ",reuseaddr,fork", "EXEC:cat")).start();
        closers.add(() -> {
            squatter.destroyForcibly();
            squatter.waitFor(5, TimeUnit.SECONDS);
        });
        await("the squatter to listen on b", () -> listens("b"));
        DumpReport report = caller.checkpoint(AS_THE_GATEWAY_DOES, Hooks.NONE);
        DumpedConnection c = report.connections().getFirst();
        List<String> heard = new CopyOnWriteArrayList<>();
        Hooks hooks = new Hooks() {
            @Override
            public void reached(String host, String point, long pid) {
                if (point.equals(Hooks.ROLLBACK)) {
                    heard.add(host + " " + point + (listens("a") ? " after a restored" : " before a restored"));
                }
            }
        };

        AgentException e = assertThrows(AgentException.class, () -> caller.shipKept(report.dumpId(),
                List.of(new SendQueueSync(c.local(), c.remote(), c.sndNxt())), agentAt("b"), toB(), hooks));

        assertEquals(List.of("a rollback before a restored"), heard);
        assertEquals("a", e.host(), "a reports: the workload is there now");
        assertTrue(e.remoteMessage().matches("restore on b failed: .*port " + PORT + " is already in use.*; echo was "
                + "restored here \\(pid \\d+\\)"), e.remoteMessage());
        Workload back = workloadsA.get("echo");
        assertTrue(Workloads.isRunning(back), "running on a again");
        assertFalse(Workloads.isRunning(echo), "as a new process tree, restored");
        assertTrue(workloadsB.find("echo").isEmpty(), "nothing recorded on b");
        assertEquals("two", peer.roundTrip("two"), "the connection lives on at a");
        assertEquals(List.of(), imagesLeft("a"));
        assertEquals(List.of(), imagesLeft("b"));
    }

    @Test
    void aSyncEntryNamingNoConnectionFailsTheShipClearlyAndTheDumpStaysKeptForARollback() throws Exception {
        startEcho();
        peer = Peer.connect(lab.host("peer"), serviceOn("a"));
        assertEquals("x", peer.roundTrip("x"));
        DumpReport report = caller.checkpoint(AS_THE_GATEWAY_DOES, Hooks.NONE);
        DumpedConnection c = report.connections().getFirst();
        InetSocketAddress nobody = new InetSocketAddress(lab.host("gw").address(), 4444);

        AgentException e = assertThrows(AgentException.class, () -> caller.shipKept(report.dumpId(),
                List.of(new SendQueueSync(c.local(), nobody, 1)), agentAt("b"), toB(), Hooks.NONE));

        assertEquals("a", e.host());
        assertEquals("the send queues of dump " + report.dumpId() + " were not synced: no connection "
                + StateJson.format(c.local()) + " -> " + StateJson.format(nobody) + " in dump " + report.dumpId()
                + " of echo (its connections: " + c.describe() + "); the dump is still kept here (ship it again, roll"
                + " it back or commit it within 30 s)", e.remoteMessage());
        assertTrue(workloadsB.find("echo").isEmpty(), "b never heard of it");
        caller.rollback(report.dumpId(), Hooks.NONE);
        assertTrue(Workloads.isRunning(workloadsA.get("echo")), "running on a again");
        assertEquals("y", peer.roundTrip("y"));
        assertEquals(List.of(), imagesLeft("a"));
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private Workload startEcho() throws Exception {
        Workload w = workloadsA.start("echo", ECHO_COUNTER, lab.host("a").nsName());
        await("echo to listen and tick", () -> output(w).contains("LISTENING") && !ticks(w).isEmpty());
        return w;
    }

    private InetSocketAddress agentAt(String host) {
        return new InetSocketAddress(lab.host(host).address(), AGENT_PORT);
    }

    private InetSocketAddress serviceOn(String host) {
        return new InetSocketAddress(lab.host(host).address(), PORT);
    }

    private RestoreRequest toB() {
        return new RestoreRequest(Map.of(lab.host("a").address().getHostAddress(),
                lab.host("b").address().getHostAddress()), lab.host("b").nsName(), false);
    }

    private boolean listens(String host) {
        return !lab.host(host).netns().exec(null, "ss", "-Htln", "sport = :" + PORT).isBlank();
    }

    private List<String> imagesLeft(String host) throws IOException {
        Path images = tmp.resolve(host + "/images");
        if (!Files.exists(images)) return List.of();
        try (var s = Files.list(images)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    private void assertNoCriuTables(String host) {
        String tables = lab.host(host).netns().exec(null, "nft", "list", "tables");
        assertFalse(tables.contains("CRIU"), "no CRIU lock left on " + host + ": " + tables);
    }

    record Tick(long n, long echoed) {
    }

    private static List<String> output(Workload w) {
        try {
            return Files.exists(w.stdout()) ? Files.readAllLines(w.stdout()) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static List<Tick> ticks(Workload w) {
        List<Tick> out = new ArrayList<>();
        for (String line : output(w)) {
            String[] f = line.split(" ");
            if (f.length == 4 && f[0].equals("tick") && f[2].equals("echoed")) {
                out.add(new Tick(Long.parseLong(f[1]), Long.parseLong(f[3])));
            }
        }
        return out;
    }

    /** Waits for at least {@code count} ticks, the last of which satisfies {@code last}. */
    private static List<Tick> awaitTicks(Workload w, int count, java.util.function.Predicate<Tick> last) {
        await(count + " ticks from " + w.name(), () -> {
            List<Tick> t = ticks(w);
            return t.size() >= count && last.test(t.getLast());
        });
        return ticks(w);
    }

    /** The counters lived on in memory: ticks 0, 1, 2, … without a restart or a gap, echoed never going back. */
    private static void assertCountsOn(List<Tick> ticks) {
        for (int i = 0; i < ticks.size(); i++) {
            assertEquals(i, ticks.get(i).n(), "tick " + i + " of " + ticks);
            if (i > 0) assertTrue(ticks.get(i).echoed() >= ticks.get(i - 1).echoed(), ticks.toString());
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out waiting for " + what);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    /** socat in a host of the lab, connected to a service: lines in on its stdin, out of its stdout. */
    private static final class Peer implements AutoCloseable {
        private final Process socat;
        private final OutputStream in;
        private final BufferedReader out;

        private Peer(Process socat) {
            this.socat = socat;
            this.in = socat.getOutputStream();
            this.out = new BufferedReader(new InputStreamReader(socat.getInputStream(), StandardCharsets.US_ASCII));
        }

        static Peer connect(NetnsLab.Host host, InetSocketAddress service) throws IOException {
            Process p = new ProcessBuilder(host.command("socat", "-", "TCP:" + StateJson.format(service)))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            return new Peer(p);
        }

        /** Sends a line and returns the line that comes back (5 s at most). */
        String roundTrip(String line) throws Exception {
            in.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            in.flush();
            String back = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    return "read failed: " + e.getMessage();
                }
            }).get(5, TimeUnit.SECONDS);
            return back == null ? "end of stream (socat exited " + socat.waitFor(1, TimeUnit.SECONDS) + ")" : back;
        }

        /** socat's connection to port 7000, as its process sees it. */
        SocketEntry connection() {
            try (ProcessSockets sockets = ProcessSockets.open((int) socat.pid())) {
                return sockets.list().stream().filter(e -> e.remote().getPort() == PORT).findFirst()
                        .orElseThrow(() -> new AssertionError("socat has no connection to port " + PORT));
            }
        }

        /** The connection's TCP state, read in repair mode with socat stopped; it runs on unchanged. */
        TcpSocketState capture() {
            try (ProcessSockets sockets = ProcessSockets.open((int) socat.pid())) {
                return sockets.capture(connection().fd());
            }
        }

        /** Re-aims the connection in place at {@code to}; returns its state before. */
        TcpSocketState repoint(InetSocketAddress to) {
            try (ProcessSockets sockets = ProcessSockets.open((int) socat.pid())) {
                return sockets.repoint(connection().fd(), to);
            }
        }

        @Override
        public void close() throws InterruptedException {
            socat.destroyForcibly();
            socat.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Drops what one lab host sends to another (an nftables table in the sender's namespace) until closed. */
    private record PacketHold(NetnsLab.Host from, String table) implements AutoCloseable {
        static PacketHold toward(NetnsLab.Host from, NetnsLab.Host to) {
            String table = "kept_dump_hold";
            from.netns().exec("""
                    table ip %s {
                        chain out {
                            type filter hook output priority 0; policy accept;
                            ip daddr %s drop
                        }
                    }
                    """.formatted(table, to.address().getHostAddress()), "nft", "-f", "-");
            return new PacketHold(from, table);
        }

        @Override
        public void close() {
            from.netns().exec(null, "nft", "delete", "table", "ip", table);
        }
    }
}
