package dev.baton.demo;

import dev.baton.netns.NetnsLab;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.SocketCapture;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpState;
import dev.baton.socket.audit.WireAudit;
import dev.baton.socket.audit.WireCapture;
import dev.baton.socket.audit.WireReport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What both demo scenarios ({@link HandoffScenario}, {@link ProcessMigrationScenario}) play on: three test hosts —
 * peer, a and b — with the service on port {@value #PORT}, and a capture of the peer's TCP traffic to that port
 * from the start, which {@link #audit} reads back. {@link #close()} stops the capture and deletes the hosts; the
 * pcap file is the caller's.
 */
final class Stage implements AutoCloseable {
    static final int PORT = 7000;
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final NetnsLab lab;
    private final Path pcap;
    private final WireCapture capture;

    private Stage(NetnsLab lab, Path pcap, WireCapture capture) {
        this.lab = lab;
        this.pcap = pcap;
        this.capture = capture;
    }

    /** Builds the hosts and starts capturing the peer's traffic to port {@value #PORT} into {@code pcap}. */
    static Stage create(Path pcap) throws IOException {
        SocketCapture.warmUp();
        NetnsLab lab = NetnsLab.create("peer", "a", "b");
        try {
            return new Stage(lab, pcap, WireCapture.start(lab.host("peer").netns(), "eth0", "tcp port " + PORT, pcap));
        } catch (IOException | RuntimeException | Error e) {
            lab.close();
            throw e;
        }
    }

    NetnsLab lab() {
        return lab;
    }

    NetnsLab.Host host(String name) {
        return lab.host(name);
    }

    /** The service's address on {@code host}. */
    InetSocketAddress service(String host) {
        return new InetSocketAddress(lab.host(host).address(), PORT);
    }

    /**
     * Starts a {@link StreamEndpoint} on the peer host that connects to the service on a, with {@code options}
     * ({@code --rate}, {@code --echo}); returns once it is connected.
     */
    EndpointProcess connectPeer(String... options) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("connect", StateJson.format(service("a"))));
        args.addAll(List.of(options));
        EndpointProcess peer = EndpointProcess.start("peer", lab.host("peer").netns(), args.toArray(String[]::new));
        try {
            peer.await("CONNECTED", START_TIMEOUT);
            return peer;
        } catch (RuntimeException | InterruptedException e) {
            peer.close();
            throw e;
        }
    }

    /** The peer process's established connection to port {@value #PORT}. */
    static SocketEntry peerConnection(int peerPid) {
        try (ProcessSockets p = ProcessSockets.open(peerPid)) {
            return peerConnection(p);
        }
    }

    /** {@link #peerConnection(int)} through a handle on the peer process that the caller holds anyway. */
    static SocketEntry peerConnection(ProcessSockets peer) {
        List<SocketEntry> sockets = peer.list();
        return sockets.stream().filter(e -> e.state() == TcpState.ESTABLISHED && e.remote().getPort() == PORT)
                .findFirst().orElseThrow(() -> new IllegalStateException("process " + peer.pid()
                        + " has no connection to port " + PORT + ": " + sockets));
    }

    /**
     * Stops the capture and audits, in it, the connection whose peer end is {@code peerEnd}: RSTs, holes,
     * retransmissions, duplicates and the longest silence each way, across every move.
     */
    WireReport audit(InetSocketAddress peerEnd) throws IOException {
        capture.close();
        return WireAudit.analyze(pcap, peerEnd);
    }

    /** Stops the capture (if {@link #audit} did not) and deletes the hosts, the latter even if the former fails. */
    @Override
    public void close() {
        try {
            capture.close();
        } finally {
            lab.close();
        }
    }
}
