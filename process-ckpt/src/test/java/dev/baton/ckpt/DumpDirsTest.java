package dev.baton.ckpt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DumpDirsTest {
    @TempDir
    Path root;

    @Test
    void aBundleHalfUnpackedByAProcessThatIsGoneIsSweptAndOneOfALiveProcessIsNot() throws Exception {
        long gone = deadPid();
        long me = ProcessHandle.current().pid();
        String deadName = "incoming-20261125-220000-001-" + gone + "-1";
        String liveName = "incoming-20261125-220000-002-" + me + "-2";
        Files.createDirectories(root.resolve(deadName));
        Files.writeString(root.resolve(deadName).resolve("pages-1.img"), "x");
        Files.writeString(root.resolve(deadName + ".criu.out"), "criu said");
        Files.createDirectories(root.resolve("." + deadName + ".partial-123"));
        Files.createDirectories(root.resolve(liveName));
        Files.createDirectories(root.resolve("web-20261125-220000-003")); // a kept dump: never swept

        new DumpDirs(root, root.resolve("workloads")).sweepAbandoned();

        assertEquals(List.of(liveName, "web-20261125-220000-003"), names());
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The PID of a process that has ended (a PID is not reused this soon). */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }
}
