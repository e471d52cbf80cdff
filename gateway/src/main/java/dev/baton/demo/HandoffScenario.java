package dev.baton.demo;

import dev.baton.netns.NetnsLab;
import dev.baton.peer.SocketHandoff;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.Seq;
import dev.baton.socket.SocketCapture;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpState;
import dev.baton.socket.audit.WireAudit;
import dev.baton.socket.audit.WireCapture;
import dev.baton.socket.audit.WireReport;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * The socket handoff scenario shared by {@code baton demo} and the end-to-end tests: three test hosts (peer,
 * a, b); a workload on a serves one connection to a peer, both streaming checked bytes; {@link #handoff()}
 * moves the workload's end of the connection to a new process on b, whose IP differs, and re-points the peer
 * in place. {@link #close()} ends every process and deletes the hosts.
 */
public final class HandoffScenario implements AutoCloseable {
    public static final int PORT = 7000;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final NetnsLab lab;
    private final int rate;
    private final Path pcapFile;
    private WireCapture capture;
    private EndpointProcess peer;
    private EndpointProcess owner;
    private EndpointProcess next;
    private String ownerHost = "a";
    /** Sequence numbers of the workload's stream offset 0, each way; learnt at the first handoff. */
    private long sendBase = -1;
    private long receiveBase = -1;

    private HandoffScenario(NetnsLab lab, int rate) throws java.io.IOException {
        this.lab = lab;
        this.rate = rate;
        this.pcapFile = Files.createTempFile("baton-handoff-", ".pcap");
    }

    /** Builds the hosts and starts the stream; returns once both directions flow. */
    public static HandoffScenario start(int bytesPerSecond) throws Exception {
        SocketCapture.warmUp();
        HandoffScenario s = new HandoffScenario(NetnsLab.create("peer", "a", "b"), bytesPerSecond);
        try {

            s.capture = WireCapture.start(s.lab.host("peer").netns(), "eth0", "tcp port " + PORT, s.pcapFile);
            s.owner = EndpointProcess.start("workload@a", s.lab.host("a").netns(), "serve",
                    StateJson.format(s.serviceAddress("a")), "--rate", Integer.toString(bytesPerSecond));
            s.owner.await("LISTENING", START_TIMEOUT);
            s.peer = EndpointProcess.start("peer", s.lab.host("peer").netns(), "connect",
                    StateJson.format(s.serviceAddress("a")), "--rate", Integer.toString(bytesPerSecond));
            s.peer.await("CONNECTED", START_TIMEOUT);
            s.owner.await("CONNECTED", START_TIMEOUT);
            return s;
        } catch (Exception | Error e) {
            s.close();
            throw e;
        }
    }

    public NetnsLab lab() {
        return lab;
    }

    public EndpointProcess peer() {
        return peer;
    }

    /** The process that owns the workload's end of the connection now. */
    public EndpointProcess owner() {
        return owner;
    }

    public String ownerHost() {
        return ownerHost;
    }

    public InetSocketAddress serviceAddress(String host) {
        return new InetSocketAddress(lab.host(host).address(), PORT);
    }

    /** Moves the workload's end of the connection to the other host (a → b, or b → a). */
    public SocketHandoff.Result handoff() throws Exception {
        String target = ownerHost.equals("a") ? "b" : "a";
        next = EndpointProcess.start("workload@" + target, lab.host(target).netns(), "resume", "-",
                "--rate", Integer.toString(rate));
        next.await("WAITING", START_TIMEOUT);
        int peerFd = fdOf(peer.pid(), s -> s.state() == TcpState.ESTABLISHED && s.remote().getPort() == PORT);
        int ownerFd = fdOf(owner.pid(), s -> s.state() == TcpState.ESTABLISHED && s.local().getPort() == PORT);
        Path stateFile = Files.createTempFile("baton-handover-", ".json");
        try {
            SocketHandoff.Result result = SocketHandoff.run(
                    new SocketHandoff.Endpoint(peer.pid(), peerFd, lab.host("peer").netns()),
                    new SocketHandoff.Endpoint(owner.pid(), ownerFd, lab.host(ownerHost).netns()),
                    serviceAddress(target),
                    handover -> {
                        try {
                            Files.writeString(stateFile, StateJson.write(handover.state()));
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                        next.send("STATE " + stateFile + " " + writtenOffset(handover) + " " + readOffset(handover));
                        return new SocketHandoff.NewOwner() {
                            @Override
                            public void awaitRebuilt() throws Exception {
                                next.await("READY", Duration.ofSeconds(10));
                            }

                            @Override
                            public void resume() {
                                next.send("GO");
                            }
                        };
                    });
            next.await("CONNECTED", Duration.ofSeconds(10));
            owner.close();
            owner = next;
            next = null;
            ownerHost = target;
            return result;
        } finally {
            Files.deleteIfExists(stateFile);
        }
    }

    /**
     * Stream offsets from sequence numbers: the first handoff takes the bases from the original socket's
     * counters, which count from the SYN (a rebuilt socket's count from its rebuild, so later ones cannot).
     * Streams here stay below 4 GiB, so the offset is the unsigned sequence distance.
     */
    private long writtenOffset(SocketHandoff.Handover h) {
        learnBases(h);
        return (h.source().sendQueue().endSeq() - sendBase) & 0xFFFF_FFFFL;
    }

    private long readOffset(SocketHandoff.Handover h) {
        learnBases(h);
        return (h.source().receiveQueue().seq() - receiveBase) & 0xFFFF_FFFFL;
    }

    private void learnBases(SocketHandoff.Handover h) {
        if (sendBase >= 0) return;
        sendBase = Seq.add(h.source().sendQueue().seq(), -h.sourceInfo().bytesAcked());
        receiveBase = Seq.add(h.source().receiveQueue().endSeq(), -h.sourceInfo().bytesReceived());
    }

    private static int fdOf(int pid, Predicate<SocketEntry> which) {
        try (ProcessSockets p = ProcessSockets.open(pid)) {
            return p.list().stream().filter(which).mapToInt(SocketEntry::fd).findFirst()
                    .orElseThrow(() -> new IllegalStateException("process " + pid + " has no such connection"));
        }
    }

    /**
     * Stops the wire capture on the peer's interface and audits the peer's connection in it: RSTs, holes,
     * retransmissions, duplicates and the longest silence each way, across every move.
     */
    public WireReport audit() throws Exception {
        capture.close();
        try (ProcessSockets p = ProcessSockets.open(peer.pid())) {
            InetSocketAddress peerEnd = p.list().stream().filter(e -> e.remote().getPort() == PORT)
                    .map(SocketEntry::local).findFirst()
                    .orElseThrow(() -> new IllegalStateException("the peer has no connection to audit"));
            return WireAudit.analyze(pcapFile, peerEnd);
        }
    }

    /**
     * Stops both writers and waits until each side has read everything the other wrote; returns the final
     * counters (peer, owner). Fails if the streams do not drain within {@code timeout}.
     */
    public EndpointProcess.Stats[] drain(Duration timeout) throws Exception {
        peer.send("STOP");
        owner.send("STOP");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            EndpointProcess.Stats p = peer.stats();
            EndpointProcess.Stats o = owner.stats();
            if (p.read() == o.written() && o.read() == p.written()) return new EndpointProcess.Stats[]{p, o};
            if (System.nanoTime() > deadline || !p.clean() || !o.clean()) {
                throw new IllegalStateException("streams did not drain: peer " + p + ", owner " + o);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() throws Exception {
        for (EndpointProcess p : new EndpointProcess[]{next, owner, peer}) {
            if (p != null) p.close();
        }
        if (capture != null) capture.close();
        lab.close();
        Files.deleteIfExists(pcapFile);
    }
}
