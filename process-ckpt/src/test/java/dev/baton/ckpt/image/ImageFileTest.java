package dev.baton.ckpt.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

import static dev.baton.ckpt.image.TestImages.*;
import static org.junit.jupiter.api.Assertions.*;

class ImageFileTest {
    private static final byte[] PSTREE = image(ImageKind.PSTREE,
            entry(message(Field.varint(1, 1), Field.varint(2, 0), Field.varint(3, 1), Field.varint(4, 1),
                    Field.varint(5, 1))),
            entry(message(Field.varint(1, 7), Field.varint(2, 1), Field.varint(3, 1), Field.varint(4, 1),
                    Field.varint(5, 7), Field.varint(5, 8))));

    private static ImageFile decode(String name, byte[] bytes) throws ImageFormatException {
        return ImageFile.decode(name, bytes);
    }

    private static ImageFormatException rejected(String name, byte[] bytes) {
        return assertThrows(ImageFormatException.class, () -> ImageFile.decode(name, bytes));
    }

    @Test
    void anImageDecodesIntoItsEntriesAndEncodesToTheSameBytes() throws Exception {
        ImageFile image = decode("pstree.img", PSTREE);
        assertEquals(ImageKind.PSTREE, image.kind());
        assertEquals(2, image.entryCount());
        assertArrayEquals(new long[]{7, 8}, image.entries().get(1).message().repeatedUint32(5, "threads"));
        assertArrayEquals(PSTREE, image.encode());
    }

    @Test
    void anImageWithNoEntriesIsJustItsMagic() throws Exception {
        byte[] bytes = image(ImageKind.SECCOMP);
        assertEquals(0, decode("seccomp.img", bytes).entryCount());
        assertArrayEquals(bytes, decode("seccomp.img", bytes).encode());
    }

    @Test
    void anEmptyMessageIsAnEntryOfLengthZero() throws Exception {
        byte[] bytes = image(ImageKind.SECCOMP, le32(0));
        assertEquals(1, decode("seccomp.img", bytes).entryCount());
        assertArrayEquals(bytes, decode("seccomp.img", bytes).encode());
    }

    @Test
    void theInventoryHasOnlyItsOwnMagic() throws Exception {
        byte[] bytes = concat(le32(ImageKind.INVENTORY.magic), entry(message(Field.varint(1, 2))));
        ImageFile image = decode("inventory.img", bytes);
        assertEquals(ImageKind.INVENTORY, image.kind());
        assertArrayEquals(bytes, image.encode());
    }

    @Test
    void serviceFilesUseTheServiceHeadMagic() throws Exception {
        byte[] bytes = concat(le32(SERVICE), le32(ImageKind.STATS.magic), entry(message(Field.len(1, new byte[]{8, 1}))));
        assertEquals(ImageKind.STATS, decode("stats-dump", bytes).kind());
        assertArrayEquals(bytes, decode("stats-dump", bytes).encode());
    }

    @Test
    void aTcpStreamEntryIsFollowedByItsReceiveThenSendQueue() throws Exception {
        byte[] inq = "unread".getBytes();
        byte[] outq = "unacked+unsent".getBytes();
        byte[] bytes = image(ImageKind.TCP_STREAM, entry(tcpStream(1000, inq.length, 5000, outq.length, 7), concat(inq, outq)));
        ImageFile image = decode("tcp-stream-1.img", bytes);
        TcpStreamImage stream = TcpStreams.decode(image);
        assertArrayEquals(inq, stream.receiveQueue());
        assertArrayEquals(outq, stream.sendQueue());
        assertEquals(7, stream.unsentLength());
        assertEquals(5000 - outq.length, stream.sendQueueSeq(false));
        assertArrayEquals(bytes, image.encode());
    }

    @Test
    void pipeDataAndSocketQueueEntriesAreFollowedByTheBytesTheirSecondFieldCounts() throws Exception {
        byte[] pipe = image(ImageKind.PIPES_DATA, entry(message(Field.varint(1, 9), Field.varint(2, 3)), "abc".getBytes()),
                entry(message(Field.varint(1, 10), Field.varint(2, 0))));
        assertEquals(2, decode("pipes-data.img", pipe).entryCount());
        assertArrayEquals(pipe, decode("pipes-data.img", pipe).encode());
        byte[] skq = image(ImageKind.SK_QUEUES, entry(message(Field.varint(1, 9), Field.varint(2, 2)), "hi".getBytes()));
        assertArrayEquals(skq, decode("sk-queues.img", skq).encode());
    }

    @Test
    void anUnknownMagicIsRejected() {
        var e = rejected("x.img", concat(le32(0x12345678), le32(0)));
        assertEquals(0, e.offset());
        assertTrue(e.getMessage().startsWith("x.img at offset 0: unknown magic 0x12345678; expected IMG_COMMON"), e.getMessage());
        assertEquals("x.img at offset 4: unknown image magic 0x12345678",
                rejected("x.img", concat(le32(COMMON), le32(0x12345678))).getMessage());
    }

    @Test
    void aHeadMagicThatDoesNotGoWithTheImageIsRejected() {
        assertTrue(rejected("files.img", concat(le32(SERVICE), le32(ImageKind.FILES.magic))).getMessage()
                .contains("head magic 0x55105940 does not go with a FILES image"));
        assertTrue(rejected("files.img", le32(ImageKind.FILES.magic)).getMessage()
                .contains("FILES magic without the COMMON head magic"));
    }

    @Test
    void aFileTooShortForItsMagicIsRejected() {
        assertEquals("x.img at offset 0: expected a 4-byte magic, found 2 bytes", rejected("x.img", new byte[2]).getMessage());
        assertEquals("x.img at offset 4: expected the image magic after the head magic, found 0 bytes",
                rejected("x.img", le32(COMMON)).getMessage());
    }

    @Test
    void aTruncatedEntryIsRejectedWithItsOffset() {
        byte[] cut = Arrays.copyOf(PSTREE, PSTREE.length - 3);
        var e = rejected("pstree.img", cut);
        int secondEntry = 8 + 4 + 10;
        assertEquals(secondEntry, e.offset());
        assertTrue(e.getMessage().contains("entry 1: length 12 exceeds the 9 bytes left"), e.getMessage());
    }

    @Test
    void trailingBytesAfterTheLastEntryAreRejected() {
        var e = rejected("pstree.img", concat(PSTREE, new byte[]{1, 2}));
        assertEquals(PSTREE.length, e.offset());
        assertTrue(e.getMessage().endsWith("entry 2: expected a 4-byte length, found 2 trailing bytes"), e.getMessage());
        // Four or more trailing bytes read as a length that the file cannot hold.
        assertTrue(rejected("pstree.img", concat(PSTREE, le32(1000))).getMessage().contains("entry 2: length 1000 exceeds"));
    }

    @Test
    void aMalformedMessageIsRejectedAtItsOffsetInTheFile() {
        byte[] bytes = image(ImageKind.PSTREE, concat(le32(3), new byte[]{0x08, 0x01, 0x0b}));
        var e = rejected("pstree.img", bytes);
        assertEquals(8 + 4 + 2, e.offset());
        assertTrue(e.getMessage().contains("entry 0: field 1: unsupported wire type 3 (group"), e.getMessage());
    }

    @Test
    void aPayloadLongerThanTheRestOfTheFileIsRejected() {
        byte[] bytes = image(ImageKind.TCP_STREAM, entry(tcpStream(1, 10, 2, 5, 0), new byte[12]));
        assertTrue(rejected("tcp-stream-1.img", bytes).getMessage()
                .contains("entry 0: TCP_STREAM payload of 15 bytes exceeds the 12 bytes left (truncated)"));
    }

    @Test
    void aTcpStreamEntryWithoutItsQueueLengthsCannotBeFramed() {
        byte[] bytes = image(ImageKind.TCP_STREAM, entry(message(Field.varint(2, 1), Field.varint(3, 0))));
        assertTrue(rejected("tcp-stream-1.img", bytes).getMessage()
                .contains("entry 0: required field 1 (inq_len) is missing"));
    }

    @Test
    void rawImagesAreRefused() {
        assertEquals("pages-1.img at offset 0: a raw image (no magic, no entries), not an entry image",
                rejected("pages-1.img", new byte[4096]).getMessage());
    }

    @Test
    void kindsWhosePayloadIsNotFramedAreRefused() {
        var e = rejected("ghost-file-1.img", concat(le32(COMMON), le32(ImageKind.GHOST_FILE.magic)));
        assertEquals(8, e.offset());
        assertTrue(e.getMessage().contains("GHOST_FILE image: the file contents follow"), e.getMessage());
        assertFalse(ImageKind.GHOST_FILE.framed());
    }

    @Test
    void writeReplacesTheFileAtomicallyAndKeepsItsPermissions(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("pstree.img");
        Files.write(file, new byte[]{1});
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        ImageFile.decode("pstree.img", PSTREE).write(file);
        assertArrayEquals(PSTREE, Files.readAllBytes(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
        assertArrayEquals(PSTREE, ImageFile.read(file).encode());
    }

    @Test
    void messageOffsetsPointAtEachEntrysMessage() throws Exception {
        ImageFile image = decode("pstree.img", PSTREE);
        assertEquals(12, image.messageOffset(0));
        assertEquals(12 + 10 + 4, image.messageOffset(1));
    }
}
