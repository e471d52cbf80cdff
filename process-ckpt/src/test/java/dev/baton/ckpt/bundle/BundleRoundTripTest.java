package dev.baton.ckpt.bundle;

import dev.baton.ckpt.bundle.BundleException.Reason;
import dev.baton.ckpt.bundle.Manifest.FileEntry;
import dev.baton.ckpt.keys.ClusterKeys;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.baton.ckpt.bundle.Images.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BundleRoundTripTest {
    @TempDir
    Path tmp;

    ClusterKeys hostA;
    ClusterKeys hostB;

    @BeforeEach
    void cluster() {
        hostA = ClusterKeys.init(tmp.resolve("keys-a"), "host-a");
        hostB = ClusterKeys.issue(tmp.resolve("keys-a"), "host-b", tmp.resolve("keys-b"));
    }

    @Test
    void filesOfEveryEdgeSizeComeOutOnAnotherHostByteForByte() throws Exception {
        Map<String, Long> sizes = new LinkedHashMap<>();
        sizes.put("empty.img", 0L);
        sizes.put("one.img", 1L);
        sizes.put("chunk-minus-1.img", MiB - 1L);
        sizes.put("chunk.img", (long) MiB);
        sizes.put("chunk-plus-1.img", MiB + 1L);
        sizes.put("pages-1.img", 5L * MiB);
        Path image = tmp.resolve("image");
        Map<String, String> hashes = Images.create(image, sizes);
        Files.setPosixFilePermissions(image.resolve("one.img"), PosixFilePermissions.fromString("r--r-----"));

        ByteArrayOutputStream bundle = new ByteArrayOutputStream();
        List<long[]> sealed = new ArrayList<>();
        Manifest partial = Manifest.of("4.2.1", "6.18.0", new Manifest.Workload("counter", List.of("python3", "c.py"), 4242),
                List.of(new Manifest.Socket("198.18.0.2:7000", "198.18.1.3:51234", "ESTABLISHED")));
        long written = BundleWriter.seal(image, partial, hostA, bundle,
                (done, total) -> sealed.add(new long[] {done, total}));
        assertEquals(bundle.size(), written, "seal returns the bytes it wrote");

        Path restored = tmp.resolve("restore/image");
        Files.createDirectories(restored.getParent());
        List<long[]> opened = new ArrayList<>();
        Manifest m = BundleReader.open(new ByteArrayInputStream(bundle.toByteArray()), hostB, restored,
                (done, total) -> opened.add(new long[] {done, total}));

        long total = sizes.values().stream().mapToLong(Long::longValue).sum();
        assertEquals(List.copyOf(sizes.keySet()).stream().sorted().toList(), Images.list(restored));
        for (String name : sizes.keySet()) {
            assertEquals(hashes.get(name), Images.sha256(restored.resolve(name)), name);
            assertEquals(new FileEntry(name, sizes.get(name), hashes.get(name)),
                    m.files().stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow());
        }
        assertEquals("r--r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(restored.resolve("one.img"))));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(restored.resolve("pages-1.img"))));
        assertEquals(List.of("image"), Images.list(restored.getParent()), "no temporary directory left");

        assertEquals(Manifest.FORMAT_VERSION, m.formatVersion());
        assertEquals("host-a", m.sourceHost());
        assertEquals("4.2.1", m.criuVersion());
        assertEquals("6.18.0", m.kernelRelease());
        assertEquals(partial.workload(), m.workload());
        assertEquals(partial.sockets(), m.sockets());
        assertNotNull(m.created());
        assertTrue(!m.created().isAfter(Instant.now()) && m.created().isAfter(Instant.now().minusSeconds(60)));
        assertEquals(total, m.totalSize());

        for (List<long[]> progress : List.of(sealed, opened)) {
            assertEquals(0, progress.getFirst()[0]);
            assertEquals(total, progress.getLast()[0]);
            for (int i = 1; i < progress.size(); i++) {
                assertTrue(progress.get(i)[0] >= progress.get(i - 1)[0], "monotonic");
                assertEquals(total, progress.get(i)[1]);
            }
        }
    }

    @Test
    void anEmptyImageDirectoryMakesABundleThatOpensEmpty() throws Exception {
        Path image = Files.createDirectory(tmp.resolve("image"));
        Path restored = tmp.resolve("restored");
        Manifest m = BundleReader.open(new ByteArrayInputStream(Images.seal(image, hostA)), hostB, restored, Progress.NONE);
        assertEquals(List.of(), m.files());
        assertEquals(List.of(), Images.list(restored));
    }

    @Test
    void theSealingHostCanOpenItsOwnBundle() throws Exception {
        Path image = tmp.resolve("image");
        Images.create(image, Map.of("core-1.img", 4000L));
        Path restored = tmp.resolve("restored");
        BundleReader.open(new ByteArrayInputStream(Images.seal(image, hostA)), hostA, restored, Progress.NONE);
        assertEquals(Images.sha256(image.resolve("core-1.img")), Images.sha256(restored.resolve("core-1.img")));
    }

    @Test
    void verifyChecksEverythingAndWritesNothing() throws Exception {
        Path image = tmp.resolve("image");
        Map<String, String> hashes = Images.create(image, Map.of("pages-1.img", 3L * MiB + 7, "inventory.img", 42L));
        List<String> before = Images.list(tmp);
        Manifest m = BundleReader.verify(new ByteArrayInputStream(Images.seal(image, hostA)), hostB);
        assertEquals(before, Images.list(tmp));
        assertEquals(List.of(new FileEntry("inventory.img", 42, hashes.get("inventory.img")),
                new FileEntry("pages-1.img", 3L * MiB + 7, hashes.get("pages-1.img"))), m.files());
    }

    @Test
    void twoSealsOfTheSameImageShareNoBytesButTheMagic() throws Exception {
        Path image = tmp.resolve("image");
        Images.create(image, Map.of("pages-1.img", 100_000L));
        byte[] one = Images.seal(image, hostA);
        byte[] two = Images.seal(image, hostA);
        Images.Layout layout = Images.Layout.of(one);
        int first = layout.chunks().getFirst().offset() + 5;
        // Fresh salt, so a fresh content key: the same plaintext encrypts differently.
        assertFalse(java.util.Arrays.equals(one, first, first + 64, two, first, first + 64));
    }

    @Test
    void aSubdirectoryInTheImageIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path image = tmp.resolve("image");
        Images.create(image, Map.of("a.img", 10L));
        Files.createDirectory(image.resolve("sub"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BundleException e = assertThrows(BundleException.class,
                () -> BundleWriter.seal(image, Manifest.of("4.2.1", "6.18", null, List.of()), hostA, out, Progress.NONE));
        assertEquals(Reason.UNSUPPORTED_IMAGE, e.reason());
        assertEquals("sealing " + image + ": the image directory cannot be sealed (sub is a directory; a bundle "
                + "holds regular files only)", e.getMessage());
        assertEquals(0, out.size());
    }

    @Test
    void aSymbolicLinkInTheImageIsRefused() throws Exception {
        Path image = tmp.resolve("image");
        Images.create(image, Map.of("a.img", 10L));
        Files.createSymbolicLink(image.resolve("link.img"), Path.of("/etc/passwd"));
        BundleException e = assertThrows(BundleException.class, () -> Images.seal(image, hostA));
        assertEquals(Reason.UNSUPPORTED_IMAGE, e.reason());
        assertEquals("sealing " + image + ": the image directory cannot be sealed (link.img is a symbolic link; a "
                + "bundle holds regular files only)", e.getMessage());
    }

    @Test
    void sealingADirectoryThatDoesNotExistIsRefused() {
        Path image = tmp.resolve("no-image");
        BundleException e = assertThrows(BundleException.class, () -> Images.seal(image, hostA));
        assertEquals(Reason.UNSUPPORTED_IMAGE, e.reason());
        assertEquals("sealing " + image + ": the image directory cannot be sealed (no such directory)",
                e.getMessage());
    }

    @Test
    void openingIntoADirectoryWhoseParentDoesNotExistIsRefusedAndWritesNothing() throws Exception {
        Path image = tmp.resolve("image");
        Images.create(image, Map.of("a.img", 10L));
        byte[] bundle = Images.seal(image, hostA);
        Path target = tmp.resolve("missing/target");
        BundleException e = assertThrows(BundleException.class,
                () -> BundleReader.open(new ByteArrayInputStream(bundle), hostB, target, Progress.NONE));
        assertEquals(Reason.IO, e.reason());
        assertEquals("opening bundle into " + target + ": I/O error (the parent directory of " + target
                + " does not exist)", e.getMessage());
        assertEquals(List.of("image", "keys-a", "keys-b"), Images.list(tmp));
    }

    @Test
    void openingOntoAnExistingDirectoryIsRefusedAndLeavesItAlone() throws Exception {
        Path image = tmp.resolve("image");
        Images.create(image, Map.of("a.img", 10L));
        Path target = Files.createDirectory(tmp.resolve("target"));
        Files.writeString(target.resolve("mine"), "keep");
        BundleException e = assertThrows(BundleException.class, () ->
                BundleReader.open(new ByteArrayInputStream(Images.seal(image, hostA)), hostB, target, Progress.NONE));
        assertEquals(Reason.TARGET_EXISTS, e.reason());
        assertEquals("opening bundle into " + target + ": the target directory already exists (" + target + ")",
                e.getMessage());
        assertEquals(List.of("mine"), Images.list(target));
        assertEquals(List.of("image", "keys-a", "keys-b", "target"), Images.list(tmp));
    }
}
