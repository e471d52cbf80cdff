package dev.baton.bench;

import dev.baton.netns.NetnsLab;
import dev.baton.peer.FlowHold;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.RepairSession;
import dev.baton.socket.SocketCapture;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.TcpSocketState;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * The socket-capture benchmark behind BENCHMARKS.md: per-socket capture and rebuild cost, and the time to hand
 * off N connections from host a to host b (another IP) with the peer ends re-pointed in place, against the cost
 * of opening the same connections anew, measured in the same run. Run with {@code scripts/bench-sockets.sh}.
 * <pre>
 *   args: [rounds (default 5)] [connection counts (default 1,100,1000)]
 * </pre>
 */
public final class SocketBench {
    private static final int PORT = 7000;
    private static final int PID = (int) ProcessHandle.current().pid();

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int[] counts = args.length > 1 ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[]{1, 100, 1000};
        SocketCapture.warmUp();
        for (int i = 0; i < 3; i++) handoff(300); // warms the JIT on every path before anything is reported
        System.out.printf(Locale.ROOT, "%-6s %-5s %12s %12s %12s %12s %12s%n", "conns", "round", "connect µs/c",
                "capture µs/c", "rebuild µs/c", "handoff ms", "verified");
        List<String> summary = new ArrayList<>();
        for (int n : counts) {
            List<Row> rows = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                Row r = handoff(n);
                rows.add(r);
                System.out.printf(Locale.ROOT, "%-6d %-5d %12.1f %12.1f %12.1f %12.2f %12s%n", n, round,
                        r.connectMicros, r.captureMicros, r.rebuildMicros, r.handoffMillis, r.verified);
            }
            double connect = median(rows, Row::connectMicros);
            double capture = median(rows, Row::captureMicros);
            double rebuild = median(rows, Row::rebuildMicros);
            double handoff = median(rows, Row::handoffMillis);
            summary.add(String.format(Locale.ROOT, "| %d | %.1f | %.1f (%.2f×) | %.1f (%.2f×) | %.2f | %.2f (%.2f×) |",
                    n, connect, capture, capture / connect, rebuild, rebuild / connect, connect * n / 1000,
                    handoff, handoff / (connect * n / 1000)));
        }
        System.out.println();
        System.out.println("Medians of " + rounds + " rounds; ratios against opening the same connections anew (connect + accept) in this run:");
        System.out.println("| connections | new connection µs/conn | capture µs/socket | rebuild µs/socket | opening all anew ms | handoff of all ms |");
        System.out.println("|---|---|---|---|---|---|");
        summary.forEach(System.out::println);
    }

    private static double median(List<Row> rows, java.util.function.ToDoubleFunction<Row> f) {
        double[] v = rows.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    record Row(double connectMicros, double captureMicros, double rebuildMicros, double handoffMillis,
               String verified) {
    }

    /** One connection pair as this JVM holds it: the peer end and the workload end. */
    private record Pair(SocketChannel peer, SocketChannel workload) {
    }

    static Row handoff(int n) throws Exception {
        try (NetnsLab lab = NetnsLab.create("peer", "a", "b")) {
            NetnsLab.Host peerHost = lab.host("peer");
            InetSocketAddress service = new InetSocketAddress(lab.host("a").address(), PORT);
            InetSocketAddress moved = new InetSocketAddress(lab.host("b").address(), PORT);
            List<Pair> pairs = new ArrayList<>();
            long connectNanos;
            try (ServerSocketChannel server = lab.host("a").netns().call(() -> {
                ServerSocketChannel s = ServerSocketChannel.open();
                s.bind(service, 4096);
                return s;
            })) {
                // Baseline: opening the same connections anew (connect + accept), in this run.
                long t = System.nanoTime();
                List<SocketChannel> peers = peerHost.netns().call(() -> {
                    List<SocketChannel> l = new ArrayList<>();
                    for (int i = 0; i < n; i++) l.add(SocketChannel.open(service));
                    return l;
                });
                for (SocketChannel p : peers) pairs.add(new Pair(p, server.accept()));
                connectNanos = System.nanoTime() - t;
            }
            Map<String, Integer> fds = fdsByTuple();
            int[] peerFds = new int[n];
            int[] workloadFds = new int[n];
            for (int i = 0; i < n; i++) {
                peerFds[i] = fds.get(key(pairs.get(i).peer()));
                workloadFds[i] = fds.get(key(pairs.get(i).workload()));
            }
            // One byte queued each way, so the handoff moves data, not just sequence numbers.
            for (Pair p : pairs) {
                p.peer().write(ByteBuffer.wrap(new byte[]{1}));
                p.workload().write(ByteBuffer.wrap(new byte[]{2}));
            }
            Thread.sleep(50);

            try (ProcessSockets self = ProcessSockets.open(PID);
                 FlowHold peerHold = FlowHold.create(peerHost.netns());
                 FlowHold workloadHold = FlowHold.create(lab.host("a").netns())) {
                // Two lanes, one per core: this thread takes the peer ends, a thread inside b's namespace the
                // workload ends. They meet twice: to swap states (each side is trimmed to what the other has)
                // and to release the hold only when both sides are rebuilt.
                CountDownLatch go = new CountDownLatch(1);
                CompletableFuture<TcpSocketState[]> workloadStates = new CompletableFuture<>();
                CompletableFuture<TcpSocketState[]> peerStates = new CompletableFuture<>();
                CompletableFuture<Void> rebuiltAll = new CompletableFuture<>();
                CompletableFuture<Void> released = new CompletableFuture<>();
                long[] workloadTimes = new long[4];
                CompletableFuture<RepairSession[]> workloadLane = CompletableFuture.supplyAsync(() ->
                        lab.host("b").netns().get(() -> {
                            try {
                                go.await();
                                workloadHold.hold(List.of(service), List.of());
                                workloadTimes[0] = System.nanoTime();
                                RepairSession[] workload = new RepairSession[n];
                                TcpSocketState[] states = new TcpSocketState[n];
                                for (int i = 0; i < n; i++) {
                                    workload[i] = RepairSession.enter(self.grab(workloadFds[i]));
                                    states[i] = workload[i].snapshot();
                                }
                                workloadTimes[1] = System.nanoTime();
                                // The workload ends close in repair mode: no FIN, no RST.
                                for (int i = 0; i < n; i++) {
                                    pairs.get(i).workload().close();
                                    workload[i].closeSilently();
                                }
                                workloadStates.complete(states);
                                TcpSocketState[] peers = peerStates.join();
                                workloadTimes[2] = System.nanoTime();
                                RepairSession[] rebuilt = new RepairSession[n];
                                for (int i = 0; i < n; i++) {
                                    rebuilt[i] = RepairSession.rebuild(states[i].withLocal(moved)
                                            .reconciledWith(peers[i].receiveQueue().endSeq()));
                                }
                                workloadTimes[3] = System.nanoTime();
                                rebuiltAll.complete(null);
                                released.join();
                                for (RepairSession r : rebuilt) r.resume();
                                return rebuilt;
                            } catch (Exception e) {
                                workloadStates.completeExceptionally(e);
                                rebuiltAll.completeExceptionally(e);
                                throw new IllegalStateException(e);
                            }
                        }));

                long t0 = System.nanoTime();
                go.countDown();
                // Every connection goes to one service: one entry holds them all at each end.
                peerHold.hold(List.of(), List.of(service));
                long c0 = System.nanoTime();
                RepairSession[] peer = new RepairSession[n];
                TcpSocketState[] peerSnapshots = new TcpSocketState[n];
                for (int i = 0; i < n; i++) {
                    peer[i] = RepairSession.enter(self.grab(peerFds[i]));
                    peerSnapshots[i] = peer[i].snapshot();
                }
                long c1 = System.nanoTime();
                peerStates.complete(peerSnapshots);
                TcpSocketState[] states = workloadStates.join();
                long a0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    peer[i].disconnect();
                    peer[i].restore(peerSnapshots[i].withRemote(moved).reconciledWith(states[i].receiveQueue().endSeq()));
                }
                long a1 = System.nanoTime();
                rebuiltAll.join();
                peerHold.release();
                released.complete(null);
                for (int i = 0; i < n; i++) {
                    peer[i].resume();
                    peer[i].socket().close();
                }
                RepairSession[] rebuilt = workloadLane.join();
                long t1 = System.nanoTime();
                if (System.getenv("BENCH_PHASES") != null) {
                    System.out.printf(Locale.ROOT, "   phases ms: peer hold %.2f, peer capture %.2f, workload capture %.2f,"
                                    + " re-aim %.2f, rebuild %.2f, until released %.2f, total %.2f%n",
                            (c0 - t0) / 1e6, (c1 - c0) / 1e6, (workloadTimes[1] - workloadTimes[0]) / 1e6,
                            (a1 - a0) / 1e6, (workloadTimes[3] - workloadTimes[2]) / 1e6, (t1 - a1) / 1e6,
                            (t1 - t0) / 1e6);
                }
                double captureMicros = (workloadTimes[1] - workloadTimes[0]) / 1e3 / n;
                double rebuildMicros = (workloadTimes[3] - workloadTimes[2]) / 1e3 / n;

                String verified = verify(pairs, rebuilt);
                for (RepairSession s : rebuilt) s.socket().close();
                for (Pair p : pairs) p.peer().close();
                return new Row(connectNanos / 1e3 / n, captureMicros, rebuildMicros, (t1 - t0) / 1e6, verified);
            }
        }
    }

    /** Each moved connection delivers the byte queued before the move, each way, and a new byte after it. */
    private static String verify(List<Pair> pairs, RepairSession[] rebuilt) throws Exception {
        int ok = 0;
        for (int i = 0; i < pairs.size(); i++) {
            SocketChannel peer = pairs.get(i).peer();
            var workload = rebuilt[i].socket().channel();
            peer.write(ByteBuffer.wrap(new byte[]{3}));
            workload.write(ByteBuffer.wrap(new byte[]{4}));
            ByteBuffer atWorkload = ByteBuffer.allocate(2);
            ByteBuffer atPeer = ByteBuffer.allocate(2);
            while (atWorkload.hasRemaining()) workload.read(atWorkload);
            while (atPeer.hasRemaining()) peer.read(atPeer);
            if (Arrays.equals(atWorkload.array(), new byte[]{1, 3}) && Arrays.equals(atPeer.array(), new byte[]{2, 4})) {
                ok++;
            }
        }
        return ok + "/" + pairs.size();
    }

    private static Map<String, Integer> fdsByTuple() {
        Map<String, Integer> m = new HashMap<>();
        try (ProcessSockets self = ProcessSockets.open(PID)) {
            for (SocketEntry e : self.list()) m.put(e.local() + ">" + e.remote(), e.fd());
        }
        return m;
    }

    private static String key(SocketChannel c) throws Exception {
        return c.getLocalAddress() + ">" + c.getRemoteAddress();
    }
}
