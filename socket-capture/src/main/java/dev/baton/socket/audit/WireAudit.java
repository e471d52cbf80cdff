package dev.baton.socket.audit;

import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * Audits the TCP traffic of one endpoint, the <em>peer</em>, in a pcap file. The peer keeps its address and port
 * while the other end of its connection may move (host A, then host B with another address, sequence numbers
 * continuing): every segment is keyed only by its {@link Direction} relative to the peer, whatever the other
 * address. The file should hold one connection of the peer (capture with a filter such as {@code tcp port N});
 * segments of several connections in one direction would be read as one sequence space.
 * <p>
 * Reads Ethernet (veth, lo), Linux cooked (SLL, SLL2) and raw IP captures, IPv4 and IPv6, in any format
 * libpcap reads. Frames of other traffic are counted in {@link WireReport#ignoredPackets()}.
 */
public final class WireAudit {
    private WireAudit() {}

    /**
     * Reads {@code pcapFile} to its end and reports the peer's traffic in both directions.
     *
     * @throws NoSuchFileException when the file does not exist
     * @throws IOException         when it is not a capture libpcap can read, its link type is not one listed
     *                             above, or libpcap is not installed ("libpcap not installed: run
     *                             scripts/install-deps.sh")
     */
    public static WireReport analyze(Path pcapFile, InetSocketAddress peer) throws IOException {
        return analyze(pcapFile, List.of(peer)).get(peer);
    }

    /**
     * {@link #analyze(Path, InetSocketAddress)} for several peers in one reading of the file (a capture of many
     * connections, each peer one endpoint of one of them). A frame between two listed peers counts for both; each
     * report's {@link WireReport#ignoredPackets()} counts the frames that were not its peer's.
     *
     * @return a report for every peer, in the order given
     */
    public static Map<InetSocketAddress, WireReport> analyze(Path pcapFile, Collection<InetSocketAddress> peers)
            throws IOException {
        Map<Endpoint, Trackers> byEndpoint = new HashMap<>();
        for (InetSocketAddress peer : peers) {
            if (peer.isUnresolved()) throw new IllegalArgumentException("peer must be an IP address: " + peer);
            byEndpoint.putIfAbsent(Endpoint.of(peer), new Trackers());
        }
        if (!Files.exists(pcapFile)) throw new NoSuchFileException(pcapFile.toString());
        long frames = 0;
        PcapHandle handle = open(pcapFile);
        try {
            int dlt = handle.getDlt().value();
            if (!TcpFrame.supports(dlt)) {
                throw new IOException(pcapFile + ": unsupported link type " + handle.getDlt()
                        + " (reads Ethernet, Linux cooked and raw IP captures)");
            }
            for (byte[] frame; (frame = next(handle, pcapFile)) != null; ) {
                frames++;
                TcpFrame f = TcpFrame.parse(dlt, frame);
                if (f == null) continue;
                Instant at = handle.getTimestamp().toInstant();
                Trackers from = byEndpoint.get(new Endpoint(f.srcIp(), f.srcPort()));
                if (from != null) from.add(at, f, from.fromPeer);
                Trackers to = byEndpoint.get(new Endpoint(f.dstIp(), f.dstPort()));
                if (to != null && to != from) to.add(at, f, to.toPeer);
            }
        } finally {
            handle.close();
        }
        Map<InetSocketAddress, WireReport> reports = new LinkedHashMap<>();
        for (InetSocketAddress peer : peers) {
            Trackers t = byEndpoint.get(Endpoint.of(peer));
            reports.put(peer, new WireReport(peer, t.toPeer.report(), t.fromPeer.report(), frames - t.frames));
        }
        return reports;
    }

    /** An IP address and port, comparable by value (frames carry the address as bytes). */
    private record Endpoint(byte[] ip, int port) {
        static Endpoint of(InetSocketAddress a) {
            return new Endpoint(a.getAddress().getAddress(), a.getPort());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Endpoint e && port == e.port && Arrays.equals(ip, e.ip);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(ip) + port;
        }
    }

    /** One peer's two directions, and how many frames were its own. */
    private static final class Trackers {
        final StreamTracker toPeer = new StreamTracker();
        final StreamTracker fromPeer = new StreamTracker();
        long frames;

        void add(Instant at, TcpFrame f, StreamTracker direction) {
            direction.add(at, f);
            frames++;
        }
    }

    private static PcapHandle open(Path pcapFile) throws IOException {
        Libpcap.require();
        try {
            return Pcaps.openOffline(pcapFile.toString(), PcapHandle.TimestampPrecision.NANO);
        } catch (PcapNativeException e) {
            throw Libpcap.failed("cannot read capture " + pcapFile, e);
        }
    }

    /** The next frame, or {@code null} at the end of the file. */
    private static byte[] next(PcapHandle handle, Path pcapFile) throws IOException {
        try {
            return handle.getNextRawPacketEx();
        } catch (EOFException end) {
            return null;
        } catch (PcapNativeException e) {
            throw Libpcap.failed("cannot read capture " + pcapFile, e);
        } catch (TimeoutException | NotOpenException e) {
            throw new IllegalStateException("offline capture handle misbehaved", e); // neither happens offline
        }
    }
}
