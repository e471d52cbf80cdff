package dev.baton.ckpt.criu;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Reads the error lines out of a CRIU log file. */
final class CriuLog {
    /** At most this many lines go into an exception message; the log has the rest. */
    static final int MAX_LINES = 20;
    // "(00.046051) " before each line at log level 4, and "pid: " when a restored task logs.
    private static final Pattern PREFIX = Pattern.compile("^\\(\\s*\\d+\\.\\d+\\)\\s+(\\d+:\\s+)?");
    // Every run here logs it: no CAP_SYS_RESOURCE to raise the limit, and CRIU carries on.
    private static final String HARMLESS = "Can't setup RLIMIT_NOFILE";

    private CriuLog() {}

    /** A log line without its timestamp and task prefix. */
    static String strip(String line) {
        return PREFIX.matcher(line).replaceFirst("").strip();
    }

    /** Whether this error line is one CRIU logs on every run here and then carries on. */
    static boolean harmless(String line) {
        return line.contains(HARMLESS);
    }

    /** The {@code Error} lines of {@code log} without their timestamps, oldest first; none when it is unreadable. */
    static List<String> errors(Path log) {
        List<String> errors = new ArrayList<>();
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        try (BufferedReader in = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(log), decoder))) {
            String line;
            while ((line = in.readLine()) != null && errors.size() < MAX_LINES) {
                String text = strip(line);
                if (text.startsWith("Error (") && !harmless(text)) errors.add(text);
            }
        } catch (IOException e) {
            // no log (CRIU failed before opening it, or it lives elsewhere): the response has CRIU's own message
        }
        return errors;
    }
}
