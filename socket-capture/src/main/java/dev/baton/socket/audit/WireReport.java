package dev.baton.socket.audit;

import java.net.InetSocketAddress;

/**
 * The audit of one peer's TCP traffic in a capture, by {@link Direction}. A migration is clean on the wire when
 * no RST was sent either way and every byte skipped was carried later ({@link #isClean()}); retransmissions and
 * silences are reported but do not make it unclean. Serialises to JSON with Jackson as is.
 *
 * @param peer           the audited endpoint
 * @param toPeer         segments whose destination is the peer
 * @param fromPeer       segments whose source is the peer
 * @param ignoredPackets frames in the file that are not TCP to or from the peer (other traffic, ARP,
 *                       unsupported or malformed headers)
 */
public record WireReport(InetSocketAddress peer, DirectionReport toPeer, DirectionReport fromPeer,
                         long ignoredPackets) {

    public DirectionReport direction(Direction d) {
        return d == Direction.TO_PEER ? toPeer : fromPeer;
    }

    /** RST segments in both directions. */
    public long rstCount() {
        return toPeer.rstCount() + fromPeer.rstCount();
    }

    /** No RST either way, and no hole left unfilled at the end of the capture. */
    public boolean isClean() {
        return rstCount() == 0 && toPeer.unfilledHoleBytes() == 0 && fromPeer.unfilledHoleBytes() == 0;
    }

    /** {@code to peer: 1234 pkts, 5.2 MB, 0 RST, … | from peer: …}. */
    public String summary() {
        return Direction.TO_PEER.label() + ": " + toPeer.summary() + " | "
                + Direction.FROM_PEER.label() + ": " + fromPeer.summary();
    }

    @Override
    public String toString() {
        return summary();
    }
}
