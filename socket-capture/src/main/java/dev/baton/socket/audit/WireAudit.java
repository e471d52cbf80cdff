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
        if (peer.isUnresolved()) throw new IllegalArgumentException("peer must be an IP address: " + peer);
        if (!Files.exists(pcapFile)) throw new NoSuchFileException(pcapFile.toString());
        byte[] peerIp = peer.getAddress().getAddress();
        int peerPort = peer.getPort();
        StreamTracker toPeer = new StreamTracker(), fromPeer = new StreamTracker();
        long ignored = 0;
        PcapHandle handle = open(pcapFile);
        try {
            int dlt = handle.getDlt().value();
            if (!TcpFrame.supports(dlt)) {
                throw new IOException(pcapFile + ": unsupported link type " + handle.getDlt()
                        + " (reads Ethernet, Linux cooked and raw IP captures)");
            }
            for (byte[] frame; (frame = next(handle, pcapFile)) != null; ) {
                Instant at = handle.getTimestamp().toInstant();
                TcpFrame f = TcpFrame.parse(dlt, frame);
                if (f != null && f.isFrom(peerIp, peerPort)) fromPeer.add(at, f);
                else if (f != null && f.isTo(peerIp, peerPort)) toPeer.add(at, f);
                else ignored++;
            }
        } finally {
            handle.close();
        }
        return new WireReport(peer, toPeer.report(), fromPeer.report(), ignored);
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
