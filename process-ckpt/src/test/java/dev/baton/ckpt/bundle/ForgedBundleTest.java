package dev.baton.ckpt.bundle;

import dev.baton.ckpt.bundle.BundleException.Reason;
import dev.baton.ckpt.bundle.BundleFormat.Header;
import dev.baton.ckpt.bundle.Manifest.FileEntry;
import dev.baton.ckpt.keys.ClusterKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bundle correctly encrypted and signed by a host of the cluster, but with content no honest writer makes: it
 * is refused as {@code MALFORMED} and nothing is written outside the target (nor is the target made).
 */
class ForgedBundleTest {
    @TempDir
    Path tmp;

    ClusterKeys hostA;
    ClusterKeys hostB;
    Path restoreParent;

    @BeforeEach
    void cluster() throws IOException {
        hostA = ClusterKeys.init(tmp.resolve("keys-a"), "host-a");
        hostB = ClusterKeys.issue(tmp.resolve("keys-a"), "host-b", tmp.resolve("keys-b"));
        restoreParent = Files.createDirectory(tmp.resolve("restore"));
    }

    @AfterEach
    void nothingWasWrittenAnywhere() throws IOException {
        assertEquals(List.of(), Images.list(restoreParent));
        assertEquals(List.of("keys-a", "keys-b", "restore"), Images.list(tmp));
    }

    /** One file record as a writer would put it in the plaintext. */
    record Entry(String name, int mode, byte[] content, byte[] sha256) {
        Entry(String name, byte[] content) {
            this(name, 0600, content, BundleFormat.sha256().digest(content));
        }
    }

    @Test
    void aNameThatClimbsOutOfTheTargetIsRefused() {
        assertMalformed(forge(List.of(new Entry("../escape", new byte[] {1}))), "a path, not a name: '../escape'");
    }

    @Test
    void anAbsolutePathIsRefused() {
        String name = tmp.resolve("absolute").toString();
        assertMalformed(forge(List.of(new Entry(name, new byte[] {1}))), "a path, not a name: '" + name + "'");
    }

    @Test
    void dotDotAsANameIsRefused() {
        assertMalformed(forge(List.of(new Entry("..", new byte[] {1}))), "the manifest lists '..'");
    }

    @Test
    void aNameListedTwiceIsRefused() {
        assertMalformed(forge(List.of(new Entry("a.img", new byte[] {1}), new Entry("a.img", new byte[] {2}))),
                "the manifest lists a.img twice");
    }

    @Test
    void aHashThatDoesNotMatchTheBytesIsRefused() {
        Entry lying = new Entry("a.img", 0600, new byte[] {1, 2, 3}, new byte[32]);
        assertMalformed(forge(List.of(lying)), "the SHA-256 recorded for a.img is not that of its bytes");
    }

    @Test
    void setUidAndOtherNonPermissionModeBitsAreRefused() {
        Entry setuid = new Entry("a.img", 04755, new byte[] {1}, BundleFormat.sha256().digest(new byte[] {1}));
        assertMalformed(forge(List.of(setuid)), "mode 04755 of a.img");
    }

    @Test
    void anHonestForgeryOpens() throws Exception {
        // The forging helper itself is faithful to the format: the same content with a safe name opens.
        Path target = restoreParent.resolve("image");
        Manifest m = BundleReader.open(new ByteArrayInputStream(forge(List.of(new Entry("a.img", new byte[] {7})))),
                hostB, target, Progress.NONE);
        assertEquals("a.img", m.files().getFirst().name());
        assertEquals(7, Files.readAllBytes(target.resolve("a.img"))[0]);
        Files.delete(target.resolve("a.img"));
        Files.delete(target);
    }

    private void assertMalformed(byte[] bundle, String detail) {
        Path target = restoreParent.resolve("image");
        BundleException e = assertThrows(BundleException.class,
                () -> BundleReader.open(new ByteArrayInputStream(bundle), hostB, target, Progress.NONE));
        assertEquals(Reason.MALFORMED, e.reason(), e.getMessage());
        assertTrue(e.getMessage().startsWith("opening bundle into " + target + ": malformed content from inside the "
                + "cluster ("), e.getMessage());
        assertTrue(e.getMessage().contains(detail), e.getMessage());
        assertFalse(Files.exists(target));
    }

    /** A bundle by host A with the given records, listed as they are in its manifest, encrypted and signed. */
    private byte[] forge(List<Entry> entries) {
        try (ContentHasher hasher = new ContentHasher()) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            Header header = BundleFormat.newHeader(hostA);
            bytes.write(header.encoded());
            Mac structure = BundleFormat.structureMac(hostA, header);
            ChunkSealer sealer = new ChunkSealer(bytes, new ChunkCipher(hostA, header), structure, hasher);
            DataOutputStream plain = new DataOutputStream(sealer);
            Manifest m = new Manifest(Manifest.FORMAT_VERSION, Instant.now(), "4.2.1", "6.18", "host-a", null,
                    List.of(), entries.stream().map(e -> new FileEntry(e.name(), e.content().length, null)).toList());
            BundleFormat.writeManifest(plain, m);
            for (Entry e : entries) {
                BundleFormat.writeFileHeader(plain, e.name(), e.mode(), e.content().length);
                sealer.writeFrom(new ByteArrayInputStream(e.content()), e.content().length,
                        BundleFormat.sha256(), n -> {});
                plain.write(e.sha256());
            }
            plain.writeByte(BundleFormat.END);
            sealer.finish();
            bytes.write(BundleFormat.SIGNATURE);
            bytes.write(BundleFormat.tailSignature(hostA, header, structure.doFinal()));
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
