package dev.baton.gateway;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them in a config file or on the command line: {@code 200ms}, {@code 5s}, {@code 2m}, {@code 1h}. */
public final class Durations {
    private static final Pattern SHORT = Pattern.compile("(\\d{1,12})(ms|s|m|h)");

    private Durations() {
    }

    /** Parses {@code 200ms}, {@code 5s}, {@code 2m}, {@code 1h} or ISO-8601 ({@code PT5S}). */
    public static Duration parse(String text) {
        String t = text.trim();
        Matcher m = SHORT.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        }
        try {
            return Duration.parse(t);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a duration (like 200ms, 5s, 2m, 1h)");
        }
    }

    /** The shortest of the forms {@link #parse} reads back to the same duration. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (!Duration.ofMillis(ms).equals(d)) return d.toString();
        if (ms % 3_600_000 == 0 && ms > 0) return ms / 3_600_000 + "h";
        if (ms % 60_000 == 0 && ms > 0) return ms / 60_000 + "m";
        if (ms % 1000 == 0) return ms / 1000 + "s";
        return ms + "ms";
    }
}
