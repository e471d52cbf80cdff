package dev.baton.socket.audit;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * What the wire showed in one {@link Direction}. Counts are of segments as captured; a duplicate is also counted
 * as a retransmission. The timestamps are {@code null} when no segment went that way (and for
 * {@code longestSilenceStart}, when fewer than two segments carried data). In JSON, timestamps are ISO-8601
 * strings and the longest silence is {@code longestSilenceMillis}.
 *
 * @param packets            TCP segments seen
 * @param payloadBytes       TCP payload bytes, retransmissions included (from the IP header, so exact even when
 *                           the capture truncated the packets)
 * @param rstCount           segments with RST
 * @param finCount           segments with FIN
 * @param retransmissions    segments whose sequence range lies entirely at or below the highest sequence end
 *                           already seen
 * @param duplicates         segments with exactly the sequence number and payload length of an earlier one
 * @param holes              times a segment started beyond the highest sequence end seen so far
 * @param unfilledHoleBytes  bytes skipped that no later segment carried
 * @param longestSilence     longest interval between consecutive data-carrying segments
 * @param longestSilenceStart when that interval began (the earlier segment's timestamp)
 * @param first              timestamp of the first segment
 * @param last               timestamp of the last segment
 */
public record DirectionReport(
        long packets,
        long payloadBytes,
        long rstCount,
        long finCount,
        long retransmissions,
        long duplicates,
        long holes,
        long unfilledHoleBytes,
        @JsonIgnore Duration longestSilence,
        @JsonSerialize(using = ToStringSerializer.class) Instant longestSilenceStart,
        @JsonSerialize(using = ToStringSerializer.class) Instant first,
        @JsonSerialize(using = ToStringSerializer.class) Instant last) {

    public DirectionReport {
        if (longestSilence == null) throw new NullPointerException("longestSilence");
    }

    /** The longest silence in milliseconds, with sub-millisecond precision (its JSON form). */
    @JsonProperty("longestSilenceMillis")
    public double longestSilenceMillis() {
        return longestSilence.toNanos() / 1e6;
    }

    /** One line: {@code 1234 pkts, 5.2 MB, 0 RST, 1 FIN, 3 retrans, 0 dup, 0 holes, longest silence 12.3 ms}. */
    public String summary() {
        String holeText = holes + " holes" + (unfilledHoleBytes > 0 ? " (" + bytes(unfilledHoleBytes) + " missing)" : "");
        return String.format(Locale.ROOT, "%d pkts, %s, %d RST, %d FIN, %d retrans, %d dup, %s, longest silence %.1f ms",
                packets, bytes(payloadBytes), rstCount, finCount, retransmissions, duplicates, holeText,
                longestSilenceMillis());
    }

    private static String bytes(long n) {
        if (n < 1_000) return n + " B";
        if (n < 1_000_000) return String.format(Locale.ROOT, "%.1f kB", n / 1e3);
        if (n < 1_000_000_000) return String.format(Locale.ROOT, "%.1f MB", n / 1e6);
        return String.format(Locale.ROOT, "%.1f GB", n / 1e9);
    }
}
