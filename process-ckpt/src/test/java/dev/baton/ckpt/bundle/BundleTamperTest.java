package dev.baton.ckpt.bundle;

import dev.baton.ckpt.bundle.BundleException.Reason;
import dev.baton.ckpt.bundle.Images.Layout;
import dev.baton.ckpt.keys.ClusterKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.baton.ckpt.bundle.Images.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every way a bundle can be damaged or forged is refused with its own reason, and leaves nothing behind: not the
 * target directory, nor anything next to it.
 */
class BundleTamperTest {
    @TempDir
    static Path shared;

    static ClusterKeys hostA;
    static ClusterKeys hostB;
    static byte[] bundle;
    static Layout layout;

    @TempDir
    Path restoreParent;

    @BeforeAll
    static void sealOnce() throws Exception {
        hostA = ClusterKeys.init(shared.resolve("keys-a"), "host-a");
        hostB = ClusterKeys.issue(shared.resolve("keys-a"), "host-b", shared.resolve("keys-b"));
        Path image = shared.resolve("image");
        Images.create(image, Map.of("pages-1.img", 5L * MiB, "core-1.img", 3000L, "files.img", 1L * MiB));
        bundle = Images.seal(image, hostA);
        layout = Layout.of(bundle);
        assertTrue(layout.chunks().size() >= 5, "several chunks: " + layout.chunks().size());
    }

    @AfterEach
    void nothingIsLeftNextToTheTarget() throws Exception {
        assertEquals(List.of(), Images.list(restoreParent));
    }

    @Test
    void theUntouchedBundleOpens() throws Exception {
        Path target = restoreParent.resolve("image");
        BundleReader.open(new ByteArrayInputStream(bundle), hostB, target, Progress.NONE);
        assertEquals(List.of("core-1.img", "files.img", "pages-1.img"), Images.list(target));
        for (String name : Images.list(target)) Files.delete(target.resolve(name));
        Files.delete(target);
    }

    @Test
    void aChangedByteInTheManifestIsTampering() {
        byte[] b = bundle.clone();
        b[layout.chunks().getFirst().offset() + 5 + 10] ^= 1; // the manifest's JSON is the first plaintext
        assertRefused(b, hostB, Reason.TAMPERED, "chunk 0 fails authentication");
    }

    @Test
    void aChangedByteInAChunkIsTampering() {
        byte[] b = bundle.clone();
        Layout.Frame third = layout.chunks().get(2);
        b[third.offset() + third.length() / 2] ^= (byte) 0x80;
        assertRefused(b, hostB, Reason.TAMPERED, "chunk 2 fails authentication");
    }

    @Test
    void swappedChunksAreTampering() {
        byte[] b = bundle.clone();
        Layout.Frame one = layout.chunks().get(1);
        Layout.Frame two = layout.chunks().get(2);
        assertEquals(one.length(), two.length());
        System.arraycopy(bundle, two.offset(), b, one.offset(), two.length());
        System.arraycopy(bundle, one.offset(), b, two.offset(), one.length());
        assertRefused(b, hostB, Reason.TAMPERED, "chunk 1 fails authentication");
    }

    @Test
    void aDroppedChunkInTheMiddleIsTampering() {
        Layout.Frame one = layout.chunks().get(1);
        byte[] b = cut(bundle, one.offset(), one.offset() + one.length());
        // Chunk 2 now comes second: its index is in the nonce and the AAD, so it fails as chunk 1.
        assertRefused(b, hostB, Reason.TAMPERED, "chunk 1 fails authentication");
    }

    @Test
    void aChunkAppendedAfterTheLastIsTampering() {
        Layout.Frame one = layout.chunks().get(1);
        byte[] b = new byte[bundle.length + one.length()];
        System.arraycopy(bundle, 0, b, 0, layout.tail());
        System.arraycopy(bundle, one.offset(), b, layout.tail(), one.length());
        System.arraycopy(bundle, layout.tail(), b, layout.tail() + one.length(), bundle.length - layout.tail());
        assertRefused(b, hostB, Reason.TAMPERED, "byte " + (int) 'C' + " after the last chunk, where the signature "
                + "should start");
    }

    @Test
    void aChunkFromAnotherBundleOfTheSameHostIsTampering() {
        // Same host, same bundle key, same image: only the header (salt, so content key, and the AAD's hash) differs.
        byte[] other = Images.seal(shared.resolve("image"), hostA);
        Layout.Frame mine = layout.chunks().get(2);
        Layout.Frame theirs = Layout.of(other).chunks().get(2);
        assertEquals(mine, theirs, "the same place in both bundles");
        byte[] b = bundle.clone();
        System.arraycopy(other, theirs.offset(), b, mine.offset(), mine.length());
        assertRefused(b, hostB, Reason.TAMPERED, "chunk 2 fails authentication: modified, moved or from another "
                + "bundle");
    }

    @Test
    void aDroppedLastChunkIsTruncation() {
        Layout.Frame last = layout.chunks().getLast();
        assertTrue(last.last());
        byte[] b = cut(bundle, last.offset(), last.offset() + last.length());
        assertRefused(b, hostB, Reason.TRUNCATED, "the encrypted stream ends after chunk "
                + (layout.chunks().size() - 2) + " without its last chunk");
    }

    @Test
    void aChunkMarkedLastTooEarlyIsTampering() {
        byte[] b = bundle.clone();
        b[layout.chunks().get(1).offset()] = 'L';
        // The last flag is in the nonce and the AAD: flipping the tag alone cannot end the stream early.
        assertRefused(b, hostB, Reason.TAMPERED, "chunk 1 (the last) fails authentication");
    }

    @Test
    void aStreamCutAnywhereIsTruncation() {
        List<Integer> cuts = List.of(9, layout.headerLength() - 1, layout.headerLength(),
                layout.chunks().get(1).offset(), layout.chunks().get(1).offset() + 3, layout.chunks().get(3).offset() + 100,
                layout.tail(), layout.tail() + 1, bundle.length - 1);
        for (int at : cuts) {
            BundleException e = refuse(Arrays.copyOf(bundle, at), hostB);
            assertEquals(Reason.TRUNCATED, e.reason(), "cut at " + at + ": " + e.getMessage());
            assertTrue(e.getMessage().startsWith("opening bundle into " + restoreParent.resolve("image")
                    + ": truncated (the stream ends "), "cut at " + at + ": " + e.getMessage());
        }
    }

    @Test
    void aCutTailIsTruncation() {
        assertRefused(Arrays.copyOf(bundle, bundle.length - 10), hostB, Reason.TRUNCATED,
                "the stream ends inside the signature");
    }

    @Test
    void bytesAppendedAfterTheSignatureAreTampering() {
        byte[] b = Arrays.copyOf(bundle, bundle.length + 3);
        assertRefused(b, hostB, Reason.TAMPERED, "3 bytes after the signature");
    }

    @Test
    void aChangedSignatureIsTampering() {
        byte[] b = bundle.clone();
        b[b.length - 5] ^= 1;
        assertRefused(b, hostB, Reason.TAMPERED, "the signature at the tail does not verify");
    }

    @Test
    void aChangedHeaderIsTampering() {
        byte[] b = bundle.clone();
        b[8 + 2 + 4 + 3] ^= 1; // in the salt: the header signature catches it before the key check could
        assertRefused(b, hostB, Reason.TAMPERED, "the header signature does not verify");
    }

    @Test
    void aHostWithAnotherBundleKeyGetsWrongKey() throws Exception {
        Path keys = Files.createDirectory(shared.resolve("keys-b-other-secret"));
        for (String f : List.of("ca.crt", "host.crt", "host.key")) {
            Files.copy(shared.resolve("keys-b").resolve(f), keys.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
        }
        ClusterKeys.init(shared.resolve("keys-elsewhere"), "x");
        Files.copy(shared.resolve("keys-elsewhere/bundle.key"), keys.resolve("bundle.key"), StandardCopyOption.COPY_ATTRIBUTES);
        ClusterKeys otherSecret = ClusterKeys.load(keys);
        assertFalse(otherSecret.bundleKeyId().equals(hostB.bundleKeyId()));

        assertRefused(bundle, otherSecret, Reason.WRONG_KEY, "this host's bundle key " + otherSecret.bundleKeyId()
                + " is not the one host-a sealed the bundle with");
    }

    @Test
    void aBundleSealedInAnotherClusterHasAnUntrustedSigner() throws Exception {
        ClusterKeys stranger = ClusterKeys.init(shared.resolve("keys-stranger-" + System.nanoTime()), "host-a");
        byte[] foreign = Images.seal(shared.resolve("image"), stranger);
        assertRefused(foreign, hostB, Reason.UNTRUSTED_SIGNER, "certificate CN=host-a,O=Baton (issued by "
                + stranger.caCertificate().getSubjectX500Principal().getName() + ") was not issued by this cluster's "
                + "CA (" + hostB.caCertificate().getSubjectX500Principal().getName() + ")");
    }

    @Test
    void somethingElseIsNotABundle() {
        assertRefused("hello, not a bundle".getBytes(), hostB, Reason.NOT_A_BUNDLE, "no BATONBDL magic at the start");
        assertRefused(new byte[0], hostB, Reason.NOT_A_BUNDLE, "empty stream");
    }

    @Test
    void aLaterFormatVersionIsNamed() {
        byte[] b = bundle.clone();
        b[9] = 2;
        assertRefused(b, hostB, Reason.UNSUPPORTED_VERSION, "format version 2, this Baton reads version 1");
    }

    @Test
    void verifyRefusesWithTheSameReasons() {
        byte[] b = bundle.clone();
        b[layout.chunks().get(3).offset() + 77] ^= 4;
        BundleException e = assertThrows(BundleException.class, () -> BundleReader.verify(new ByteArrayInputStream(b), hostB));
        assertEquals(Reason.TAMPERED, e.reason());
        assertTrue(e.getMessage().startsWith("verifying bundle: tampered: modified after sealing (chunk 3 fails"), e.getMessage());
    }

    private void assertRefused(byte[] b, ClusterKeys keys, Reason reason, String detail) {
        BundleException e = refuse(b, keys);
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().startsWith("opening bundle into " + restoreParent.resolve("image") + ": "
                + reason.hint() + " ("), e.getMessage());
        assertTrue(e.getMessage().contains(detail), e.getMessage());
    }

    private BundleException refuse(byte[] b, ClusterKeys keys) {
        Path target = restoreParent.resolve("image");
        BundleException e = assertThrows(BundleException.class,
                () -> BundleReader.open(new ByteArrayInputStream(b), keys, target, Progress.NONE));
        assertFalse(Files.exists(target));
        return e;
    }

    private static byte[] cut(byte[] b, int from, int to) {
        byte[] r = new byte[b.length - (to - from)];
        System.arraycopy(b, 0, r, 0, from);
        System.arraycopy(b, to, r, from, b.length - to);
        return r;
    }
}
