package dev.baton.socket.audit;

import dev.baton.socket.Seq;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Follows the sequence space of one direction. Sequence numbers are unwrapped into a 64-bit position relative
 * to the highest end seen (valid while segments stay within 2^31 of it), so holes and overlaps are plain
 * interval arithmetic even across 2^32. The first segment that occupies sequence space anchors the stream.
 * <pre>
 *   highestEnd ─┐
 *   ████████████│        segment entirely left of it: retransmission (fills holes it overlaps)
 *   ████████░░░░│░░████  segment starting right of it: a hole [highestEnd, start) is recorded
 * </pre>
 * Memory grows with the number of distinct segments (kept to recognise duplicates).
 */
final class StreamTracker {
    private long packets, payloadBytes, rsts, fins, retransmissions, duplicates, holes;
    private boolean anchored;
    private long highestEnd;
    private final Set<Span> seen = new HashSet<>();
    /** Start → end of sequence ranges skipped and not carried since. */
    private final TreeMap<Long, Long> unfilled = new TreeMap<>();
    private Instant first, last, lastData, silenceStart;
    private Duration silence = Duration.ZERO;

    private record Span(long start, int payloadLength) {}

    void add(Instant at, TcpFrame f) {
        packets++;
        payloadBytes += f.payloadLength();
        if (f.has(TcpFrame.RST)) rsts++;
        if (f.has(TcpFrame.FIN)) fins++;
        if (first == null) first = at;
        last = at;
        if (f.payloadLength() > 0) measureSilence(at);
        // pure ACKs and RSTs occupy no sequence space: nothing to retransmit, skip or duplicate
        if (f.sequenceLength() > 0 && !f.has(TcpFrame.RST)) follow(f.seq(), f.sequenceLength(), f.payloadLength());
    }

    private void measureSilence(Instant at) {
        if (lastData != null) {
            Duration gap = Duration.between(lastData, at);
            if (gap.compareTo(silence) > 0) {
                silence = gap;
                silenceStart = lastData;
            }
        }
        lastData = at;
    }

    private void follow(long seq, int length, int payloadLength) {
        if (!anchored) {
            anchored = true;
            highestEnd = seq;
        }
        long start = highestEnd + Seq.distance(seq, highestEnd & 0xFFFF_FFFFL);
        long end = start + length;
        if (!seen.add(new Span(start, payloadLength))) duplicates++;
        if (end <= highestEnd) retransmissions++;
        if (start < highestEnd) fill(start, Math.min(end, highestEnd));
        if (start > highestEnd) {
            holes++;
            unfilled.put(highestEnd, start);
        }
        if (end > highestEnd) highestEnd = end;
    }

    /** Removes {@code [from, to)} from the unfilled ranges, keeping the parts of them it does not cover. */
    private void fill(long from, long to) {
        Long before = unfilled.floorKey(from); // a range that starts before from may reach into it
        var touched = new TreeMap<>(unfilled.subMap(before == null ? from : before, true, to, false));
        for (Map.Entry<Long, Long> e : touched.entrySet()) {
            long s = e.getKey(), t = e.getValue();
            if (t <= from) continue;
            unfilled.remove(s);
            if (s < from) unfilled.put(s, from);
            if (t > to) unfilled.put(to, t);
        }
    }

    DirectionReport report() {
        long missing = unfilled.entrySet().stream().mapToLong(e -> e.getValue() - e.getKey()).sum();
        return new DirectionReport(packets, payloadBytes, rsts, fins, retransmissions, duplicates, holes, missing,
                silence, silenceStart, first, last);
    }
}
