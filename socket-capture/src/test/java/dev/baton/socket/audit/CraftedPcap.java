package dev.baton.socket.audit;

import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV4Rfc791Tos;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.IpV6SimpleFlowLabel;
import org.pcap4j.packet.IpV6SimpleTrafficClass;
import org.pcap4j.packet.Packet;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.UnknownPacket;
import org.pcap4j.packet.namednumber.DataLinkType;
import org.pcap4j.packet.namednumber.EtherType;
import org.pcap4j.packet.namednumber.IpNumber;
import org.pcap4j.packet.namednumber.IpVersion;
import org.pcap4j.packet.namednumber.TcpPort;
import org.pcap4j.util.MacAddress;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Builds a pcap file of TCP segments with chosen timestamps, as pcap4j builders lay them out on the wire, so
 * the audit is tested on real frame bytes.
 */
final class CraftedPcap {
    static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    enum Flag { SYN, FIN, RST }

    private final DataLinkType linkType;
    private final List<byte[]> frames = new ArrayList<>();
    private final List<Instant> times = new ArrayList<>();

    private CraftedPcap(DataLinkType linkType) {
        this.linkType = linkType;
    }

    static CraftedPcap ethernet() {
        return new CraftedPcap(DataLinkType.EN10MB);
    }

    static CraftedPcap linuxCooked() {
        return new CraftedPcap(DataLinkType.LINUX_SLL);
    }

    /** A segment at {@code millis} after {@link #T0}, with ACK set and {@code payloadLength} zero bytes. */
    CraftedPcap segment(double millis, InetSocketAddress src, InetSocketAddress dst, long seq, int payloadLength,
                        Flag... flags) {
        Packet ip = ip(src, dst, tcp(src, dst, seq, payloadLength, Set.of(flags)));
        byte[] frame = linkType == DataLinkType.EN10MB ? ethernetFrame(ip, src) : cookedFrame(ip);
        return frame(millis, frame);
    }

    /** A raw frame as is, for truncated or foreign frames. */
    CraftedPcap frame(double millis, byte[] frame) {
        frames.add(frame);
        times.add(T0.plus(Duration.ofNanos(Math.round(millis * 1e6))));
        return this;
    }

    /** The last frame added, cut to {@code length} bytes as a small snaplen would. */
    CraftedPcap truncateLast(int length) {
        frames.set(frames.size() - 1, Arrays.copyOf(frames.getLast(), length));
        return this;
    }

    Path writeTo(Path file) throws Exception {
        try (PcapHandle dead = Pcaps.openDead(linkType, 65536, PcapHandle.TimestampPrecision.NANO);
             PcapDumper dumper = dead.dumpOpen(file.toString())) {
            for (int i = 0; i < frames.size(); i++) dumper.dumpRaw(frames.get(i), Timestamp.from(times.get(i)));
        }
        return file;
    }

    private static TcpPacket.Builder tcp(InetSocketAddress src, InetSocketAddress dst, long seq, int payloadLength,
                                         Set<Flag> flags) {
        TcpPacket.Builder tcp = new TcpPacket.Builder()
                .srcPort(TcpPort.getInstance((short) src.getPort()))
                .dstPort(TcpPort.getInstance((short) dst.getPort()))
                .sequenceNumber((int) seq)
                .acknowledgmentNumber(1)
                .ack(true)
                .syn(flags.contains(Flag.SYN))
                .fin(flags.contains(Flag.FIN))
                .rst(flags.contains(Flag.RST))
                .psh(payloadLength > 0)
                .window((short) 0xFFFF)
                .srcAddr(src.getAddress())
                .dstAddr(dst.getAddress())
                .correctChecksumAtBuild(true)
                .correctLengthAtBuild(true);
        if (payloadLength > 0) tcp.payloadBuilder(new UnknownPacket.Builder().rawData(new byte[payloadLength]));
        return tcp;
    }

    private static Packet ip(InetSocketAddress src, InetSocketAddress dst, TcpPacket.Builder tcp) {
        if (src.getAddress() instanceof Inet6Address s6) {
            return new IpV6Packet.Builder()
                    .version(IpVersion.IPV6)
                    .trafficClass(IpV6SimpleTrafficClass.newInstance((byte) 0))
                    .flowLabel(IpV6SimpleFlowLabel.newInstance(0))
                    .nextHeader(IpNumber.TCP)
                    .hopLimit((byte) 64)
                    .srcAddr(s6)
                    .dstAddr((Inet6Address) dst.getAddress())
                    .payloadBuilder(tcp)
                    .correctLengthAtBuild(true)
                    .build();
        }
        return new IpV4Packet.Builder()
                .version(IpVersion.IPV4)
                .tos(IpV4Rfc791Tos.newInstance((byte) 0))
                .ttl((byte) 64)
                .protocol(IpNumber.TCP)
                .dontFragmentFlag(true)
                .srcAddr((Inet4Address) src.getAddress())
                .dstAddr((Inet4Address) dst.getAddress())
                .payloadBuilder(tcp)
                .correctChecksumAtBuild(true)
                .correctLengthAtBuild(true)
                .build();
    }

    private static byte[] ethernetFrame(Packet ip, InetSocketAddress src) {
        // one locally administered MAC per source host, as on a bridge
        byte[] host = src.getAddress().getAddress();
        byte[] mac = {2, 0, 0, 0, 0, host[host.length - 1]};
        return new EthernetPacket.Builder()
                .srcAddr(MacAddress.getByAddress(mac))
                .dstAddr(MacAddress.getByName("02:00:00:00:00:ff"))
                .type(ip instanceof IpV6Packet ? EtherType.IPV6 : EtherType.IPV4)
                .payloadBuilder(new UnknownPacket.Builder().rawData(ip.getRawData()))
                .paddingAtBuild(true)
                .build()
                .getRawData();
    }

    /** Linux cooked header (SLL): packet type, ARPHRD_ETHER, address length and address, then the EtherType. */
    private static byte[] cookedFrame(Packet ip) {
        byte[] l3 = ip.getRawData();
        return ByteBuffer.allocate(16 + l3.length)
                .putShort((short) 0).putShort((short) 1).putShort((short) 6)
                .put(new byte[]{2, 0, 0, 0, 0, 1, 0, 0})
                .putShort((short) (ip instanceof IpV6Packet ? 0x86DD : 0x0800))
                .put(l3)
                .array();
    }
}
