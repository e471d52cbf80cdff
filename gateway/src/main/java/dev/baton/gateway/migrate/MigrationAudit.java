package dev.baton.gateway.migrate;

import dev.baton.gateway.proxy.Flow;
import dev.baton.netns.NetNamespace;
import dev.baton.socket.StateJson;
import dev.baton.socket.audit.DirectionReport;
import dev.baton.socket.audit.WireAudit;
import dev.baton.socket.audit.WireCapture;
import dev.baton.socket.audit.WireReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The wire audit of one migration: a capture of the gateway's TCP traffic to and from the workload's services and
 * ports (headers only) from before the freeze until shortly after the thaw, then, per flow, both of its
 * connections read back: RST either way, bytes never carried (holes), duplicates, and the longest silence each
 * peer saw in each direction.
 */
final class MigrationAudit implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MigrationAudit.class);
    /** The result lists each flow's gaps; past this many flows the rest are not audited (it says so). */
    static final int MAX_FLOWS = 5_000;
    /** After the thaw: long enough for retransmissions and the first bytes of every direction to show. */
    static final long LINGER_MS = 300;

    private final WireCapture capture;

    private MigrationAudit(WireCapture capture) {
        this.capture = capture;
    }

    /**
     * Starts capturing on every interface of this process's namespace, the traffic of {@code ports} only.
     * Returns null (and logs why) when capturing is not possible: a migration does not depend on its audit.
     */
    static MigrationAudit start(Path pcap, Collection<Integer> ports) {
        String filter = "tcp and (" + ports.stream().distinct().map(p -> "port " + p).collect(Collectors.joining(" or ")) + ")";
        try {
            Files.createDirectories(pcap.getParent());
            return new MigrationAudit(WireCapture.start(NetNamespace.ofProcess(ProcessHandle.current().pid()), "any",
                    filter, pcap));
        } catch (IOException | RuntimeException e) {
            LOG.warn("no wire audit for this migration: {}", e.getMessage());
            return null;
        }
    }

    /** Ends the capture after the linger and audits {@code flows}: their peer side and their workload side. */
    Result finish(List<Flow> flows) {
        try {
            Thread.sleep(LINGER_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
        long packets = capture.stats().captured();
        long rst = 0, holes = 0, dups = 0;
        List<MigrationResult.FlowGap> gaps = new ArrayList<>();
        List<Flow> audited = flows.size() > MAX_FLOWS ? flows.subList(0, MAX_FLOWS) : flows;
        List<InetSocketAddress> endpoints = new ArrayList<>();
        for (Flow f : audited) {
            endpoints.add(f.peer());
            if (f.upstreamLocal() != null) endpoints.add(f.upstreamLocal());
        }
        try {
            // One reading of the capture for every flow: the peer side by the peer's address, the workload side by
            // the gateway's own end of it.
            Map<InetSocketAddress, WireReport> reports = WireAudit.analyze(capture.file(), endpoints);
            for (Flow f : audited) {
                WireReport peerSide = reports.get(f.peer());
                // From the peer's point of view: what it received (to peer) and what it could send (from peer).
                gaps.add(new MigrationResult.FlowGap(f.id(), StateJson.format(f.peer()),
                        ms(peerSide.fromPeer()), ms(peerSide.toPeer())));
                List<WireReport> sides = f.upstreamLocal() == null ? List.of(peerSide)
                        : List.of(peerSide, reports.get(f.upstreamLocal()));
                for (WireReport side : sides) {
                    rst += side.rstCount();
                    holes += unfilled(side);
                    dups += side.toPeer().duplicates() + side.fromPeer().duplicates();
                }
            }
        } catch (IOException e) {
            LOG.warn("reading the capture {} failed: {}", capture.file(), e.getMessage());
            return new Result(gaps, null, "the capture could not be read: " + e.getMessage());
        }
        String note = audited.size() < flows.size()
                ? "audited " + audited.size() + " of " + flows.size() + " flows" : null;
        return new Result(gaps, new MigrationResult.WireSummary(capture.file().toString(), packets, rst, holes, dups), note);
    }

    /** The audit's figures; {@code note} says what was left out, if anything. */
    record Result(List<MigrationResult.FlowGap> gaps, MigrationResult.WireSummary summary, String note) {
    }

    private static long unfilled(WireReport r) {
        return r.toPeer().unfilledHoleBytes() + r.fromPeer().unfilledHoleBytes();
    }

    private static double ms(DirectionReport d) {
        return d.longestSilence().toNanos() / 1e6;
    }

    @Override
    public void close() {
        capture.close();
    }
}
