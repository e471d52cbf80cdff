package dev.baton.ckpt.criu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/** Error lines out of CRIU's log, as they appear at log levels 2 and 4 and from restored tasks. */
class CriuLogTest {
    @TempDir
    Path dir;

    @Test
    void errorLinesLoseTheirTimestampAndTaskPrefixAndTheRlimitLineIsLeftOut() throws Exception {
        Path log = Files.writeString(dir.resolve("restore.log"), """
                (00.000012) Version: 4.2.1 (gitid 0)
                (00.045530) Error (criu/util.c:1534): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted
                (00.051000) Warn  (criu/net.c:1): not an error
                (00.052000)      1: Error (criu/sk-inet.c:1059): inet: Can't bind inet socket (id 12): Address already in use
                Error (criu/cr-restore.c:2331): Restoring FAILED.
                """);
        assertEquals(List.of(
                "Error (criu/sk-inet.c:1059): inet: Can't bind inet socket (id 12): Address already in use",
                "Error (criu/cr-restore.c:2331): Restoring FAILED."), CriuLog.errors(log));
    }

    @Test
    void aMissingLogHasNoErrorLines() {
        assertEquals(List.of(), CriuLog.errors(dir.resolve("nothing.log")));
    }

    @Test
    void atMostTwentyLinesAreKept() throws Exception {
        Path log = Files.write(dir.resolve("dump.log"),
                IntStream.range(0, 50).mapToObj(i -> "(00.1) Error (x.c:" + i + "): e" + i).toList());
        List<String> errors = CriuLog.errors(log);
        assertEquals(CriuLog.MAX_LINES, errors.size());
        assertEquals("Error (x.c:0): e0", errors.getFirst(), "the first errors are the causes; the last are echoes");
    }

    @Test
    void theExceptionMessageNamesTheRequestErrnoLinesAndLog() {
        CriuException e = new CriuException("dump", null, 3, "Error (a.c:1): first", List.of("Error (b.c:2): second"),
                Path.of("/images/dump.log"), null);
        assertEquals("""
                CRIU dump failed (cr_errno ESRCH (No such process))
                  Error (a.c:1): first
                  Error (b.c:2): second
                  (CRIU's log: /images/dump.log)""", e.getMessage());
    }
}
