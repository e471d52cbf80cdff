package dev.baton.socket.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.socket.audit.CraftedPcap.Flag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

import static dev.baton.socket.audit.CraftedPcap.T0;
import static org.junit.jupiter.api.Assertions.*;

class WireAuditTest {
    private static final InetSocketAddress PEER = endpoint("198.18.7.1", 40000);
    private static final InetSocketAddress HOST_A = endpoint("198.18.7.2", 7000);
    private static final InetSocketAddress HOST_B = endpoint("198.18.7.3", 7000);
    private static final long PEER_ISN = 1_000, A_ISN = 50_000;

    @TempDir
    Path dir;

    @Test
    void aCleanExchangeHasNoRstNoHoleAndCountsEveryPayloadByte() throws Exception {
        WireReport r = audit(cleanExchange(CraftedPcap.ethernet(), PEER, HOST_A));

        assertEquals(6, r.fromPeer().packets());
        assertEquals(3_000, r.fromPeer().payloadBytes());
        assertEquals(4, r.toPeer().packets());
        assertEquals(1_000, r.toPeer().payloadBytes());
        for (DirectionReport d : new DirectionReport[]{r.toPeer(), r.fromPeer()}) {
            assertEquals(0, d.rstCount());
            assertEquals(1, d.finCount());
            assertEquals(0, d.retransmissions());
            assertEquals(0, d.duplicates());
            assertEquals(0, d.holes());
            assertEquals(0, d.unfilledHoleBytes());
        }
        assertEquals(T0, r.fromPeer().first());
        assertEquals(T0.plusMillis(9), r.fromPeer().last());
        assertEquals(0, r.ignoredPackets());
        assertTrue(r.isClean());
    }

    @Test
    void aResetInEitherDirectionMakesTheAuditUnclean() throws Exception {
        CraftedPcap pcap = CraftedPcap.ethernet()
                .segment(0, PEER, HOST_A, PEER_ISN, 100)
                .segment(1, HOST_A, PEER, A_ISN, 0, Flag.RST);

        WireReport r = audit(pcap);

        assertEquals(1, r.toPeer().rstCount());
        assertEquals(0, r.fromPeer().rstCount());
        assertEquals(1, r.rstCount());
        assertFalse(r.isClean());
    }

    @Test
    void aSegmentResentBelowTheHighestSequenceIsARetransmissionNotADuplicate() throws Exception {
        CraftedPcap pcap = CraftedPcap.ethernet()
                .segment(0, PEER, HOST_A, PEER_ISN, 1000)
                .segment(1, PEER, HOST_A, PEER_ISN + 1000, 1000)
                .segment(2, PEER, HOST_A, PEER_ISN + 500, 1000);

        DirectionReport d = audit(pcap).fromPeer();

        assertEquals(1, d.retransmissions());
        assertEquals(0, d.duplicates());
        assertEquals(3_000, d.payloadBytes(), "bytes on the wire, retransmissions included");
    }

    @Test
    void anExactDuplicateIsCountedAsDuplicateAndAsRetransmission() throws Exception {
        CraftedPcap pcap = CraftedPcap.ethernet()
                .segment(0, PEER, HOST_A, PEER_ISN, 1000)
                .segment(1, PEER, HOST_A, PEER_ISN + 1000, 1000)
                .segment(2, PEER, HOST_A, PEER_ISN, 1000);

        DirectionReport d = audit(pcap).fromPeer();

        assertEquals(1, d.duplicates());
        assertEquals(1, d.retransmissions());
        assertEquals(0, d.holes());
    }

    @Test
    void aHoleNeverFilledIsReportedWithTheBytesMissing() throws Exception {
        CraftedPcap pcap = CraftedPcap.ethernet()
                .segment(0, HOST_A, PEER, A_ISN, 1000)
                .segment(1, HOST_A, PEER, A_ISN + 2000, 1000)
                .segment(2, HOST_A, PEER, A_ISN + 3000, 1000);

        WireReport r = audit(pcap);

        assertEquals(1, r.toPeer().holes());
        assertEquals(1000, r.toPeer().unfilledHoleBytes());
        assertEquals(0, r.rstCount());
        assertFalse(r.isClean());
    }

    @Test
    void aHoleFilledLaterCountsAsAHoleButLeavesNothingMissing() throws Exception {
        CraftedPcap pcap = CraftedPcap.ethernet()
                .segment(0, HOST_A, PEER, A_ISN, 1000)
                .segment(1, HOST_A, PEER, A_ISN + 2000, 1000)
                .segment(2, HOST_A, PEER, A_ISN + 1000, 1000);

        WireReport r = audit(pcap);

        assertEquals(1, r.toPeer().holes());
        assertEquals(0, r.toPeer().unfilledHoleBytes());
        assertEquals(1, r.toPeer().retransmissions(), "the late segment lies below the highest end seen");
        assertTrue(r.isClean());
    }

    @Test
    void aHolePartlyFilledReportsOnlyTheBytesStillMissing() throws Exception {
        CraftedPcap pcap = CraftedPcap.ethernet()
                .segment(0, HOST_A, PEER, A_ISN, 1000)
                .segment(1, HOST_A, PEER, A_ISN + 3000, 1000)
                .segment(2, HOST_A, PEER, A_ISN + 1500, 500)
                .segment(3, HOST_A, PEER, A_ISN + 1000, 200);

        DirectionReport d = audit(pcap).toPeer();

        assertEquals(1, d.holes());
        assertEquals(1300, d.unfilledHoleBytes(), "[1200, 1500) and [2000, 3000) still missing");
    }

    @Test
    void sequenceNumbersWrapAroundTwoToThe32WithoutHoleOrRetransmission() throws Exception {
        long nearTop = (1L << 32) - 1000;
        CraftedPcap pcap = CraftedPcap.ethernet()
                .segment(0, PEER, HOST_A, nearTop - 1, 0, Flag.SYN)
                .segment(1, PEER, HOST_A, nearTop, 1000)
                .segment(2, PEER, HOST_A, 0, 1000)
                .segment(3, PEER, HOST_A, 1000, 1000)
                .segment(4, PEER, HOST_A, 500, 500)
                .segment(5, PEER, HOST_A, 2000, 0, Flag.FIN);

        DirectionReport d = audit(pcap).fromPeer();

        assertEquals(0, d.holes());
        assertEquals(1, d.retransmissions(), "only the segment resent after the wrap");
        assertEquals(0, d.duplicates());
    }

    @Test
    void aHoleAcrossTheWrapIsMeasuredInBytes() throws Exception {
        long nearTop = (1L << 32) - 1000;
        CraftedPcap pcap = CraftedPcap.ethernet()
                .segment(0, PEER, HOST_A, nearTop, 1000)
                .segment(1, PEER, HOST_A, 500, 1000);

        DirectionReport d = audit(pcap).fromPeer();

        assertEquals(1, d.holes());
        assertEquals(500, d.unfilledHoleBytes());
    }

    @Test
    void aConnectionMovingFromHostAToHostBWithContinuingSequenceIsOneCleanStream() throws Exception {
        CraftedPcap pcap = CraftedPcap.ethernet()
                .segment(0, PEER, HOST_A, PEER_ISN, 1000)
                .segment(1, HOST_A, PEER, A_ISN, 1000)
                .segment(2, PEER, HOST_A, PEER_ISN + 1000, 1000)
                // migrated: the same connection now answers from B's address
                .segment(50, HOST_B, PEER, A_ISN + 1000, 1000)
                .segment(51, PEER, HOST_B, PEER_ISN + 2000, 1000)
                .segment(52, HOST_B, PEER, A_ISN + 2000, 1000);

        WireReport r = audit(pcap);

        assertEquals(3, r.toPeer().packets());
        assertEquals(3, r.fromPeer().packets());
        assertEquals(3_000, r.toPeer().payloadBytes());
        assertEquals(0, r.toPeer().holes() + r.fromPeer().holes());
        assertEquals(0, r.toPeer().retransmissions() + r.fromPeer().retransmissions());
        assertTrue(r.isClean(), r.summary());
    }

    @Test
    void longestSilenceIsMeasuredPerDirectionBetweenDataCarryingSegments() throws Exception {
        CraftedPcap pcap = CraftedPcap.ethernet()
                .segment(0, HOST_A, PEER, A_ISN, 100)
                .segment(5, HOST_A, PEER, A_ISN + 100, 100)
                .segment(17.5, HOST_A, PEER, A_ISN + 200, 100)
                .segment(80, HOST_A, PEER, A_ISN + 300, 0) // a pure ACK is not data
                .segment(0.5, PEER, HOST_A, PEER_ISN, 100)
                .segment(40.5, PEER, HOST_A, PEER_ISN + 100, 100);

        WireReport r = audit(pcap);

        assertEquals(Duration.ofMillis(12).plusNanos(500_000), r.toPeer().longestSilence());
        assertEquals(T0.plusMillis(5), r.toPeer().longestSilenceStart());
        assertEquals(12.5, r.toPeer().longestSilenceMillis(), 1e-9);
        assertEquals(Duration.ofMillis(40), r.fromPeer().longestSilence());
        assertEquals(T0.plusNanos(500_000), r.fromPeer().longestSilenceStart());
    }

    @Test
    void ipv6SegmentsInALinuxCookedCaptureAreAudited() throws Exception {
        InetSocketAddress peer = endpoint("::1", 40000), server = endpoint("::1", 7000);
        WireReport r = audit(cleanExchange(CraftedPcap.linuxCooked(), peer, server), peer);

        assertEquals(3_000, r.fromPeer().payloadBytes());
        assertEquals(1_000, r.toPeer().payloadBytes());
        assertEquals(0, r.ignoredPackets());
        assertTrue(r.isClean());
    }

    @Test
    void payloadLengthComesFromTheIpHeaderWhenTheCaptureCutThePacket() throws Exception {
        CraftedPcap pcap = CraftedPcap.ethernet()
                .segment(0, PEER, HOST_A, PEER_ISN, 1448).truncateLast(96)
                .segment(1, PEER, HOST_A, PEER_ISN + 1448, 1448).truncateLast(96);

        DirectionReport d = audit(pcap).fromPeer();

        assertEquals(2 * 1448, d.payloadBytes());
        assertEquals(0, d.holes());
    }

    @Test
    void trafficNotToOrFromThePeerIsIgnoredAndCounted() throws Exception {
        CraftedPcap pcap = CraftedPcap.ethernet()
                .segment(0, PEER, HOST_A, PEER_ISN, 100)
                .segment(1, HOST_A, HOST_B, 7, 100)
                .segment(2, endpoint("198.18.7.1", 40001), HOST_A, 9, 100) // the peer's address, another port
                .frame(3, new byte[]{1, 2, 3});

        WireReport r = audit(pcap);

        assertEquals(1, r.fromPeer().packets());
        assertEquals(0, r.toPeer().packets());
        assertNull(r.toPeer().first());
        assertEquals(3, r.ignoredPackets());
    }

    @Test
    void theSummaryIsOneReadableLine() throws Exception {
        WireReport r = audit(CraftedPcap.ethernet()
                .segment(0, HOST_A, PEER, A_ISN, 1500)
                .segment(12.3, HOST_A, PEER, A_ISN + 1500, 0, Flag.RST));

        assertEquals("to peer: 2 pkts, 1.5 kB, 1 RST, 0 FIN, 0 retrans, 0 dup, 0 holes, longest silence 0.0 ms"
                + " | from peer: 0 pkts, 0 B, 0 RST, 0 FIN, 0 retrans, 0 dup, 0 holes, longest silence 0.0 ms",
                r.summary());
        assertEquals(r.summary(), r.toString());
    }

    @Test
    void aHoleShowsTheBytesMissingInTheSummary() throws Exception {
        WireReport r = audit(CraftedPcap.ethernet()
                .segment(0, PEER, HOST_A, PEER_ISN, 100)
                .segment(2.25, PEER, HOST_A, PEER_ISN + 2_600, 100));

        assertTrue(r.summary().endsWith("from peer: 2 pkts, 200 B, 0 RST, 0 FIN, 0 retrans, 0 dup, "
                + "1 holes (2.5 kB missing), longest silence 2.3 ms"), r.summary());
    }

    @Test
    void theReportSerialisesToJsonWithMillisAndIsoTimestamps() throws Exception {
        WireReport r = audit(cleanExchange(CraftedPcap.ethernet(), PEER, HOST_A));

        var json = new ObjectMapper().readTree(new ObjectMapper().writeValueAsString(r));

        assertEquals("198.18.7.1:40000", json.get("peer").asText());
        assertTrue(json.get("clean").asBoolean());
        assertEquals(3_000, json.at("/fromPeer/payloadBytes").asLong());
        assertEquals(3.0, json.at("/fromPeer/longestSilenceMillis").asDouble(), 1e-9);
        assertEquals("2025-01-01T00:00:00Z", json.at("/fromPeer/first").asText());
        assertFalse(json.get("fromPeer").has("longestSilence"));
    }

    @Test
    void aMissingFileIsReportedAsSuch() {
        Path missing = dir.resolve("nothing.pcap");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> WireAudit.analyze(missing, PEER));
        assertEquals(missing.toString(), e.getMessage());
    }

    @Test
    void aCaptureOfAnUnsupportedLinkTypeIsRejectedByName() throws Exception {
        Path file = dir.resolve("wifi.pcap");
        try (PcapHandle dead = Pcaps.openDead(DataLinkType.IEEE802_11, 65536);
             PcapDumper dumper = dead.dumpOpen(file.toString())) {
            dumper.dumpRaw(new byte[30]);
        }

        IOException e = assertThrows(IOException.class, () -> WireAudit.analyze(file, PEER));
        assertTrue(e.getMessage().contains("unsupported link type"), e.getMessage());
    }

    @Test
    void withoutLibpcapTheAuditSaysHowToInstallIt() throws Exception {
        Path file = Files.createFile(dir.resolve("empty.pcap"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-Dorg.pcap4j.core.pcapLibName=" + dir.resolve("no-such-libpcap.so"),
                "-cp", System.getProperty("java.class.path"),
                NoLibpcapProbe.class.getName(), file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertEquals(0, p.waitFor(), out);
        assertTrue(out.endsWith("libpcap not installed: run scripts/install-deps.sh\n"), out);
    }

    /** Handshake, three segments from the peer and one to it, then FIN both ways; data 1 ms apart. */
    @Test
    void onePassOverManyConnectionsReportsEachPeerAsIfItWereAuditedAlone() throws Exception {
        InetSocketAddress otherPeer = endpoint("198.18.7.9", 40001);
        CraftedPcap pcap = cleanExchange(CraftedPcap.ethernet(), PEER, HOST_A)
                .segment(20, otherPeer, HOST_B, 7_000, 500)
                .segment(21, HOST_B, otherPeer, 9_000, 100, Flag.RST);
        Path file = pcap.writeTo(dir.resolve("two.pcap"));

        var reports = WireAudit.analyze(file, java.util.List.of(PEER, otherPeer, HOST_B));

        assertEquals(java.util.List.of(PEER, otherPeer, HOST_B), java.util.List.copyOf(reports.keySet()));
        assertEquals(WireAudit.analyze(file, PEER), reports.get(PEER));
        WireReport other = reports.get(otherPeer);
        assertEquals(500, other.fromPeer().payloadBytes());
        assertEquals(100, other.toPeer().payloadBytes());
        assertEquals(1, other.rstCount());
        assertEquals(10, other.ignoredPackets()); // the first connection's frames
        // The far end of that connection, listed too, sees the same two frames the other way round.
        assertEquals(500, reports.get(HOST_B).toPeer().payloadBytes());
        assertEquals(100, reports.get(HOST_B).fromPeer().payloadBytes());
    }

    private static CraftedPcap cleanExchange(CraftedPcap pcap, InetSocketAddress peer, InetSocketAddress server) {
        return pcap
                .segment(0, peer, server, PEER_ISN, 0, Flag.SYN)
                .segment(1, server, peer, A_ISN, 0, Flag.SYN)
                .segment(2, peer, server, PEER_ISN + 1, 0)
                .segment(3, peer, server, PEER_ISN + 1, 1000)
                .segment(4, peer, server, PEER_ISN + 1001, 1000)
                .segment(6, server, peer, A_ISN + 1, 1000)
                .segment(7, peer, server, PEER_ISN + 2001, 1000)
                .segment(8, server, peer, A_ISN + 1001, 0, Flag.FIN)
                .segment(9, peer, server, PEER_ISN + 3001, 0, Flag.FIN)
                .segment(10, server, peer, A_ISN + 1002, 0);
    }

    private WireReport audit(CraftedPcap pcap) throws Exception {
        return audit(pcap, PEER);
    }

    private WireReport audit(CraftedPcap pcap, InetSocketAddress peer) throws Exception {
        return WireAudit.analyze(pcap.writeTo(dir.resolve("crafted.pcap")), peer);
    }

    private static InetSocketAddress endpoint(String ip, int port) {
        return new InetSocketAddress(InetAddress.ofLiteral(ip), port);
    }
}
