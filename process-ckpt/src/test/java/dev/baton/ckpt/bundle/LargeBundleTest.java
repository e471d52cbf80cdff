package dev.baton.ckpt.bundle;

import dev.baton.ckpt.keys.ClusterKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.baton.ckpt.bundle.Images.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sealing and opening stream: a 1 GiB image goes through a pipe from sealer to opener in a JVM with a 64 MiB
 * heap (and 64 MiB of direct memory), so neither side can hold a whole file or bundle; and the heap they keep in
 * use is the same after 1/8 and after 7/8 of the content, so memory does not grow with the size either.
 */
class LargeBundleTest {
    static final long GiB = 1L << 30;

    @TempDir
    Path tmp;

    @Test
    void aOneGibImageRoundTripsThroughAPipeInAJvmWithA64MibHeap() throws Exception {
        ClusterKeys.init(tmp.resolve("keys-a"), "host-a");
        ClusterKeys.issue(tmp.resolve("keys-a"), "host-b", tmp.resolve("keys-b"));
        Path image = tmp.resolve("image");
        Map<String, String> hashes = Images.create(image, Map.of("pages-1.img", GiB, "core-1.img", 12_345L,
                "inventory.img", (long) MiB));
        Path target = tmp.resolve("restored");

        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:MaxDirectMemorySize=64m", "-cp", System.getProperty("java.class.path"),
                LargeBundleChild.class.getName(), tmp.resolve("keys-a").toString(), tmp.resolve("keys-b").toString(),
                image.toString(), target.toString())
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(5, TimeUnit.MINUTES), "child still running: " + output);
        assertEquals(0, child.exitValue(), output);
        System.out.println("LargeBundleTest: " + output.strip());

        assertEquals(List.of("core-1.img", "inventory.img", "pages-1.img"), Images.list(target));
        for (Map.Entry<String, String> e : hashes.entrySet()) {
            assertEquals(e.getValue(), Images.sha256(target.resolve(e.getKey())), e.getKey());
        }
        assertTrue(output.startsWith("sealed+opened " + (GiB + 12_345 + MiB) + " bytes"), output);
        Matcher bundle = Pattern.compile("bundle: (\\d+) bytes written, (\\d+) read").matcher(output);
        assertTrue(bundle.find(), output);
        assertEquals(bundle.group(2), bundle.group(1), "seal returns the bytes that crossed the pipe");
        assertTrue(Long.parseLong(bundle.group(1)) > GiB + 12_345 + MiB, output);

        // Flat, not merely under the limit: what stays in use after a full GC does not grow while 3/4 of the
        // content (768 MiB, 768 chunks each way) goes through; a leak of 1.4 KiB per chunk would show.
        Matcher retained = Pattern.compile("retained after GC: (\\d+) bytes at 1/8 of the content, (\\d+) bytes "
                + "at 7/8").matcher(output);
        assertTrue(retained.find(), output);
        long early = Long.parseLong(retained.group(1));
        long late = Long.parseLong(retained.group(2));
        assertTrue(early > 0 && late > 0, "sampled both times: " + output);
        assertTrue(late - early < MiB, "the heap in use grew by " + (late - early) + " bytes: " + output);
    }
}
