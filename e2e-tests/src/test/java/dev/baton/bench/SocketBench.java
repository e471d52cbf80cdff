package dev.baton.bench;

import dev.baton.netns.NetnsLab;
import dev.baton.peer.FlowHold;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.RepairSession;
import dev.baton.socket.SocketCapture;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.TcpSocket;
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
        System.out.printf(Locale.ROOT, "%-6s %-5s %12s %12s %12s %12s %12s%n", "conns", "round", "connect µs/c",
                "capture µs/c", "rebuild µs/c", "handoff ms", "verified");
        for (int n : counts) {
            for (int round = 0; round <= rounds; round++) { // round 0 warms up and is not reported
                Row r = handoff(n);
                if (round > 0) {
                    System.out.printf(Locale.ROOT, "%-6d %-5d %12.1f %12.1f %12.1f %12.2f %12s%n", n, round,
                            r.connectMicros, r.captureMicros, r.rebuildMicros, r.handoffMillis, r.verified);
                }
            }
        }
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
                 FlowHold hold = FlowHold.create(peerHost.netns())) {
                List<InetSocketAddress> peerEnds = new ArrayList<>();
                for (Pair p : pairs) peerEnds.add((InetSocketAddress) p.peer().getLocalAddress());

                long t0 = System.nanoTime();
                hold.hold(peerEnds);
                // Capture: the workload ends (as from another process: pidfd_getfd, repair, snapshot)...
                RepairSession[] workload = new RepairSession[n];
                TcpSocketState[] states = new TcpSocketState[n];
                long c0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    workload[i] = RepairSession.enter(self.grab(workloadFds[i]));
                    states[i] = workload[i].snapshot();
                }
                long c1 = System.nanoTime();
                // ... and the peer ends, which stay in repair mode to be re-aimed.
                RepairSession[] peer = new RepairSession[n];
                TcpSocketState[] peerStates = new TcpSocketState[n];
                for (int i = 0; i < n; i++) {
                    peer[i] = RepairSession.enter(self.grab(peerFds[i]));
                    peerStates[i] = peer[i].snapshot();
                }
                // The workload ends close in repair mode: no FIN, no RST.
                for (int i = 0; i < n; i++) {
                    pairs.get(i).workload().close();
                    workload[i].closeSilently();
                }
                // Rebuild on b, held in repair mode until the peers point at b.
                long r0 = System.nanoTime();
                RepairSession[] rebuilt = lab.host("b").netns().call(() -> {
                    RepairSession[] out = new RepairSession[n];
                    for (int i = 0; i < n; i++) {
                        out[i] = RepairSession.rebuild(states[i].withLocal(moved)
                                .reconciledWith(peerStates[i].receiveQueue().endSeq()));
                    }
                    return out;
                });
                long r1 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    peer[i].disconnect();
                    peer[i].restore(peerStates[i].withRemote(moved).reconciledWith(states[i].receiveQueue().endSeq()));
                }
                hold.release();
                for (int i = 0; i < n; i++) {
                    peer[i].resume();
                    peer[i].socket().close();
                    rebuilt[i].resume();
                }
                long t1 = System.nanoTime();

                String verified = verify(pairs, rebuilt);
                for (RepairSession s : rebuilt) s.socket().close();
                for (Pair p : pairs) p.peer().close();
                return new Row(connectNanos / 1e3 / n, (c1 - c0) / 1e3 / n, (r1 - r0) / 1e3 / n,
                        (t1 - t0) / 1e6, verified);
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
