package dev.baton.socket.audit;

import java.util.Arrays;

/**
 * The TCP header fields the audit needs, parsed from a captured frame. Lengths come from the IP and TCP headers,
 * not from the captured length, so a snaplen that cut the payload changes nothing.
 */
record TcpFrame(byte[] srcIp, int srcPort, byte[] dstIp, int dstPort, long seq, int flags, int payloadLength) {
    static final int FIN = 0x01, SYN = 0x02, RST = 0x04;

    /** Link-layer types read ({@code DLT_*} / {@code LINKTYPE_*} values). */
    static final int DLT_EN10MB = 1, DLT_RAW = 101, DLT_LINUX_SLL = 113, DLT_LINUX_SLL2 = 276;

    private static final int ETHERTYPE_IPV4 = 0x0800, ETHERTYPE_IPV6 = 0x86DD, ETHERTYPE_VLAN = 0x8100,
            ETHERTYPE_QINQ = 0x88A8;
    private static final int PROTO_TCP = 6;

    static boolean supports(int dlt) {
        return dlt == DLT_EN10MB || dlt == DLT_RAW || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2;
    }

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** Sequence space the segment occupies: payload, plus one for SYN and one for FIN. */
    int sequenceLength() {
        return payloadLength + (has(SYN) ? 1 : 0) + (has(FIN) ? 1 : 0);
    }

    /** The TCP segment in {@code frame}, or {@code null} when it holds something else or is too short to tell. */
    static TcpFrame parse(int dlt, byte[] frame) {
        try {
            return switch (dlt) {
                case DLT_EN10MB -> ethernet(frame, 12);
                case DLT_LINUX_SLL -> ip(frame, 16, u16(frame, 14));
                case DLT_LINUX_SLL2 -> ip(frame, 20, u16(frame, 0));
                case DLT_RAW -> ip(frame, 0, (frame[0] & 0xF0) == 0x60 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4);
                default -> null;
            };
        } catch (ArrayIndexOutOfBoundsException truncated) {
            // shorter than its headers: snaplen below the header size, or a malformed frame
            return null;
        }
    }

    private static TcpFrame ethernet(byte[] f, int typeOffset) {
        int type = u16(f, typeOffset);
        while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) {
            typeOffset += 4;
            type = u16(f, typeOffset);
        }
        return ip(f, typeOffset + 2, type);
    }

    private static TcpFrame ip(byte[] f, int off, int etherType) {
        if (etherType == ETHERTYPE_IPV4) {
            if ((f[off] & 0xF0) != 0x40 || (f[off + 9] & 0xFF) != PROTO_TCP) return null;
            // a non-first fragment has no TCP header
            if ((u16(f, off + 6) & 0x1FFF) != 0) return null;
            int headerLength = (f[off] & 0x0F) * 4;
            int ipPayload = u16(f, off + 2) - headerLength;
            return tcp(f, off + headerLength, ipPayload, Arrays.copyOfRange(f, off + 12, off + 16),
                    Arrays.copyOfRange(f, off + 16, off + 20));
        }
        if (etherType == ETHERTYPE_IPV6) {
            if ((f[off] & 0xF0) != 0x60) return null;
            int ipPayload = u16(f, off + 4);
            int next = f[off + 6] & 0xFF;
            int at = off + 40;
            // hop-by-hop, routing and destination options precede TCP; their length is in 8-octet units
            while (next == 0 || next == 43 || next == 60) {
                int extLength = ((f[at + 1] & 0xFF) + 1) * 8;
                next = f[at] & 0xFF;
                at += extLength;
                ipPayload -= extLength;
            }
            if (next != PROTO_TCP) return null;
            return tcp(f, at, ipPayload, Arrays.copyOfRange(f, off + 8, off + 24),
                    Arrays.copyOfRange(f, off + 24, off + 40));
        }
        return null;
    }

    private static TcpFrame tcp(byte[] f, int off, int segmentLength, byte[] src, byte[] dst) {
        int headerLength = ((f[off + 12] & 0xF0) >>> 4) * 4;
        if (headerLength < 20 || segmentLength < headerLength) return null;
        long seq = ((long) u16(f, off + 4) << 16) | u16(f, off + 6);
        return new TcpFrame(src, u16(f, off), dst, u16(f, off + 2), seq, f[off + 13] & 0xFF,
                segmentLength - headerLength);
    }

    private static int u16(byte[] f, int off) {
        return ((f[off] & 0xFF) << 8) | (f[off + 1] & 0xFF);
    }
}
