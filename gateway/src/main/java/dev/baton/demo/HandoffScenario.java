package dev.baton.demo;

import dev.baton.netns.NetnsLab;
import dev.baton.peer.SocketHandoff;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.Seq;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpState;
import dev.baton.socket.audit.WireReport;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The socket handoff scenario shared by {@code baton demo} and the end-to-end tests: three test hosts (peer,
 * a, b); a workload on a serves one connection to a peer, both streaming checked bytes; {@link #handoff()}
 * moves the workload's end of the connection to a new process on b, whose IP differs, and re-points the peer
 * in place. {@link #close()} ends every process and deletes the hosts.
 *
 * <p>The peer is another {@link StreamEndpoint} ({@link #start(int)}), or an unmodified stock program
 * ({@link #startWithStockPeer}) such as {@code socat TCP:IP:PORT EXEC:cat}, an echo: the workload then checks
 * that its own stream comes back ({@code StreamEndpoint --echo}).
 *
 * <p>The peer's wire is captured throughout; with the environment variable {@code BATON_KEEP_PCAP} set, the
 * pcap file is kept (its path printed on stderr) for a look with tcpdump or Wireshark.
 */
public final class HandoffScenario implements AutoCloseable {
    public static final int PORT = Stage.PORT;
    private static final Duration START_TIMEOUT = Stage.START_TIMEOUT;

    /**
     * Starts a stock program as the peer: returns its command line — run inside the peer host's network
     * namespace, e.g. {@code host.command("socat", ...)} — with whatever redirects it needs, given the peer host and
     * the service address to connect to. Standard error goes to this JVM's unless the builder says otherwise.
     */
    @FunctionalInterface
    public interface StockPeer {
        ProcessBuilder command(NetnsLab.Host peerHost, InetSocketAddress service);
    }

    private final Stage stage;
    private final int rate;
    /** The peer echoes what it reads (the workload runs with {@code --echo}). */
    private final boolean echo;
    private final Path pcapFile;
    /** The peer when it is a StreamEndpoint; {@code null} when it is a stock program. */
    private EndpointProcess peer;
    /** The peer when it is a stock program. */
    private Process stockPeer;
    private EndpointProcess owner;
    private EndpointProcess next;
    private String ownerHost = "a";
    /** Sequence numbers of the workload's stream offset 0, each way; learnt at the first handoff. */
    private long sendBase = -1;
    private long receiveBase = -1;

    private HandoffScenario(Stage stage, Path pcapFile, int rate, boolean echo) {
        this.stage = stage;
        this.pcapFile = pcapFile;
        this.rate = rate;
        this.echo = echo;
    }

    /** Builds the hosts and starts the stream, a StreamEndpoint at each end; returns once both directions flow. */
    public static HandoffScenario start(int bytesPerSecond) throws Exception {
        return start(bytesPerSecond, false, null);
    }

    /**
     * Builds the hosts, starts the workload on a and then {@code peer}, a stock program, on the peer host;
     * returns once the workload has accepted the peer's connection.
     *
     * @param echo whether the peer echoes what it reads (the workload then checks its own stream coming back)
     */
    public static HandoffScenario startWithStockPeer(int bytesPerSecond, boolean echo, StockPeer peer)
            throws Exception {
        return start(bytesPerSecond, echo, Objects.requireNonNull(peer, "peer"));
    }

    private static HandoffScenario start(int bytesPerSecond, boolean echo, StockPeer stock) throws Exception {
        Path pcapFile = Files.createTempFile("baton-handoff-", ".pcap");
        Stage stage;
        try {
            stage = Stage.create(pcapFile);
        } catch (Exception | Error e) {
            Files.delete(pcapFile);
            throw e;
        }
        HandoffScenario s = new HandoffScenario(stage, pcapFile, bytesPerSecond, echo);
        try {
            s.owner = EndpointProcess.start("workload@a", stage.host("a").netns(),
                    s.workloadArgs("serve", StateJson.format(s.serviceAddress("a"))));
            s.owner.await("LISTENING", START_TIMEOUT);
            if (stock == null) {
                s.peer = stage.connectPeer("--rate", Integer.toString(bytesPerSecond));
            } else {
                ProcessBuilder pb = stock.command(stage.host("peer"), s.serviceAddress("a"));
                if (pb.redirectError() == ProcessBuilder.Redirect.PIPE) pb.redirectError(ProcessBuilder.Redirect.INHERIT);
                s.stockPeer = pb.start();
            }
            s.owner.await("CONNECTED", START_TIMEOUT);
            return s;
        } catch (Exception | Error e) {
            s.close();
            throw e;
        }
    }

    private String[] workloadArgs(String... modeArgs) {
        List<String> args = new ArrayList<>(List.of(modeArgs));
        args.addAll(List.of("--rate", Integer.toString(rate)));
        if (echo) args.add("--echo");
        return args.toArray(String[]::new);
    }

    public NetnsLab lab() {
        return stage.lab();
    }

    /** The peer when it is a StreamEndpoint; {@code null} when it is a stock program ({@link #stockPeer()}). */
    public EndpointProcess peer() {
        return peer;
    }

    /** The peer when it is a stock program; {@code null} otherwise. */
    public Process stockPeer() {
        return stockPeer;
    }

    /** The peer's PID, whichever kind it is. */
    public int peerPid() {
        return peer != null ? peer.pid() : (int) stockPeer.pid();
    }

    /** The process that owns the workload's end of the connection now. */
    public EndpointProcess owner() {
        return owner;
    }

    public String ownerHost() {
        return ownerHost;
    }

    public InetSocketAddress serviceAddress(String host) {
        return stage.service(host);
    }

    /** Moves the workload's end of the connection to the other host (a → b, or b → a). */
    public SocketHandoff.Result handoff() throws Exception {
        String target = ownerHost.equals("a") ? "b" : "a";
        next = EndpointProcess.start("workload@" + target, stage.host(target).netns(), workloadArgs("resume", "-"));
        next.await("WAITING", START_TIMEOUT);

        Path stateFile = Files.createTempFile("baton-handover-", ".json");
        try {
            SocketHandoff.Result result = SocketHandoff.run(peerEndpoint(), ownerEndpoint(), serviceAddress(target),
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

                            @Override
                            public void abort() throws InterruptedException {
                                next.kill(); // its socket, if rebuilt, is in repair mode: it closes silently
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

    /** The peer's end of the connection: process, socket fd and namespace. */
    public SocketHandoff.Endpoint peerEndpoint() {
        return new SocketHandoff.Endpoint(peerPid(), Stage.peerConnection(peerPid()).fd(), stage.host("peer").netns());
    }

    /** The workload's end of the connection, as its current owner holds it. */
    public SocketHandoff.Endpoint ownerEndpoint() {
        try (ProcessSockets p = ProcessSockets.open(owner.pid())) {
            int fd = p.list().stream().filter(s -> s.state() == TcpState.ESTABLISHED && s.local().getPort() == PORT)
                    .mapToInt(SocketEntry::fd).findFirst()
                    .orElseThrow(() -> new IllegalStateException(owner + " has no connection on port " + PORT));
            return new SocketHandoff.Endpoint(owner.pid(), fd, stage.host(ownerHost).netns());
        }
    }

    /**
     * Stops the wire capture on the peer's interface and audits the peer's connection in it: RSTs, holes,
     * retransmissions, duplicates and the longest silence each way, across every move.
     */
    public WireReport audit() throws Exception {
        return stage.audit(Stage.peerConnection(peerPid()).local());
    }

    /** Forgets the longest read gap each StreamEndpoint has seen so far (JVM start-up is not what is measured). */
    public void resetGaps() {
        if (peer != null) peer.send("RESET");
        owner.send("RESET");
    }

    /**
     * Stops both writers and waits until each side has read everything the other wrote; returns the final
     * counters (peer, owner). With an echo peer, stops the workload's writer and waits until its stream has come
     * back entirely; the peer's counters are then {@code null}. Fails if the streams do not drain within
     * {@code timeout}. A stock peer that does not echo is drained by the caller, who knows what it sent.
     */
    public EndpointProcess.Stats[] drain(Duration timeout) throws Exception {
        if (peer == null && !echo) throw new IllegalStateException("the stock peer does not echo: drain it yourself");
        if (peer != null) peer.send("STOP");
        owner.send("STOP");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            EndpointProcess.Stats p = peer == null ? null : peer.stats();
            EndpointProcess.Stats o = owner.stats();
            boolean drained = p == null ? o.read() == o.written() : p.read() == o.written() && o.read() == p.written();
            if (drained) return new EndpointProcess.Stats[]{p, o};
            if (System.nanoTime() > deadline || (p != null && !p.clean()) || !o.clean()) {
                throw new IllegalStateException("streams did not drain: peer " + (p == null ? "(echo)" : p)
                        + ", owner " + o);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() throws Exception {
        for (EndpointProcess p : new EndpointProcess[]{next, owner, peer}) {
            if (p != null) p.close();
        }
        if (stockPeer != null) endStockPeer();
        stage.close();
        if (System.getenv("BATON_KEEP_PCAP") == null) Files.deleteIfExists(pcapFile);
        else System.err.println("pcap kept: " + pcapFile);
    }

    /** Ends the stock peer we started, by its own handle, and what it started (socat's EXEC child). */
    private void endStockPeer() throws InterruptedException {
        List<ProcessHandle> children = stockPeer.descendants().toList();
        stockPeer.destroy();
        if (!stockPeer.waitFor(2, TimeUnit.SECONDS)) {
            stockPeer.destroyForcibly();
            stockPeer.waitFor(5, TimeUnit.SECONDS);
        }
        for (ProcessHandle child : children) {
            if (child.isAlive()) child.destroyForcibly();
        }
    }
}
