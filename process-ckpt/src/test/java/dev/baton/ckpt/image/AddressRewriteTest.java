package dev.baton.ckpt.image;

import dev.baton.socket.Family;
import dev.baton.socket.TcpState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.baton.ckpt.image.TestImages.*;
import static org.junit.jupiter.api.Assertions.*;

class AddressRewriteTest {
    private static final InetAddress OLD = ip("198.18.7.1");
    private static final InetAddress NEW = ip("198.18.7.2");
    private static final InetAddress PEER = ip("198.18.7.3");
    private static final InetAddress ANY = ip("0.0.0.0");

    private static final ProtoMessage LISTENER_ON_OLD = inetSk(1, 101, 2, 10, OLD, 7000, ANY, 0);
    private static final ProtoMessage LISTENER_ON_ANY = inetSk(2, 102, 2, 10, ANY, 7001, ANY, 0);
    private static final ProtoMessage CONNECTION = inetSk(3, 103, 2, 1, OLD, 7000, PEER, 40000);
    private static final ProtoMessage ON_LOOPBACK = inetSk(4, 104, 2, 10, ip("127.0.0.1"), 7002, ANY, 0);
    private static final ProtoMessage MAPPED = inetSk(5, 105, 10, 1, OLD, 7003, PEER, 40001);
    private static final ProtoMessage V6 = inetSk(6, 106, 10, 1, ip("2001:db8::1"), 7004, ip("2001:db8::3"), 40002);

    private static final byte[] FILES = image(ImageKind.FILES,
            entry(regFile(9, "/usr/bin/python3")), entry(inetFile(LISTENER_ON_OLD)), entry(inetFile(LISTENER_ON_ANY)),
            entry(inetFile(CONNECTION)), entry(inetFile(ON_LOOPBACK)), entry(inetFile(MAPPED)), entry(inetFile(V6)));

    private static AddressRewrite.Result rewrite(AddressRewrite rewrite) throws Exception {
        return rewrite.apply(ImageFile.decode("files.img", FILES));
    }

    private static InetSocketImage socket(ImageFile files, int entry) {
        return InetSockets.decode(files.entries().get(entry).message().nested(4, "isk"));
    }

    @Test
    void socketsBoundToTheOldAddressGetTheNewOne() throws Exception {
        AddressRewrite.Result r = rewrite(AddressRewrite.of(Map.of(OLD, NEW)));
        assertEquals(new InetSocketAddress(NEW, 7000), socket(r.files(), 1).local());
        assertEquals(new InetSocketAddress(NEW, 7000), socket(r.files(), 3).local());
        assertEquals(new InetSocketAddress(PEER, 40000), socket(r.files(), 3).remote(), "remote left alone");
        assertEquals(List.of(3L, 1L, 5L).stream().sorted().toList(),
                r.report().changed().stream().map(c -> c.before().id()).sorted().toList());
        RewriteReport.Change change = r.report().changed().stream().filter(c -> c.before().id() == 3).findFirst().orElseThrow();
        assertEquals(OLD, change.before().local().getAddress());
        assertEquals(NEW, change.after().local().getAddress());
        assertEquals(TcpState.ESTABLISHED, change.after().state());
    }

    @Test
    void wildcardListenersNeedNothingAndOtherAddressesAreLeftAndReported() throws Exception {
        AddressRewrite.Result r = rewrite(AddressRewrite.of(Map.of(OLD, NEW)));
        assertEquals(List.of(2L), r.report().wildcard().stream().map(InetSocketImage::id).toList());
        assertEquals(List.of(4L, 6L), r.report().other().stream().map(InetSocketImage::id).toList());
        assertEquals(new InetSocketAddress(ANY, 7001), socket(r.files(), 2).local());
        assertEquals(new InetSocketAddress(ip("127.0.0.1"), 7002), socket(r.files(), 4).local());
        assertTrue(r.report().summary().startsWith("3 rewritten, 1 on the wildcard address, 2 bound elsewhere"),
                r.report().summary());
    }

    @Test
    void remoteAddressesChangeOnlyWhenAsked() throws Exception {
        AddressRewrite.Result r = rewrite(AddressRewrite.of(Map.of(PEER, ip("198.18.7.4"))).includingRemote());
        assertEquals(new InetSocketAddress(ip("198.18.7.4"), 40000), socket(r.files(), 3).remote());
        assertEquals(new InetSocketAddress(OLD, 7000), socket(r.files(), 3).local());
        assertTrue(rewrite(AddressRewrite.of(Map.of(PEER, ip("198.18.7.4")))).report().changed().isEmpty());
    }

    @Test
    void anIpv4AddressIsAlsoRewrittenWhereAnIpv6SocketHoldsItMapped() throws Exception {
        AddressRewrite.Result r = rewrite(AddressRewrite.of(Map.of(OLD, NEW)));
        InetSocketImage mapped = socket(r.files(), 5);
        assertEquals(Family.INET6, mapped.family());
        assertEquals(new InetSocketAddress(NEW, 7003), mapped.local());
        ProtoMessage isk = r.files().entries().get(5).message().nested(4, "isk");
        assertArrayEquals(InetSockets.words(Family.INET6, NEW), isk.repeatedUint32(11, "src_addr"));
        assertEquals(0xFFFF0000L, isk.repeatedUint32(11, "src_addr")[2], "::ffff: prefix kept");
    }

    @Test
    void ipv6AddressesAreRewrittenAsFourWords() throws Exception {
        AddressRewrite.Result r = rewrite(AddressRewrite.of(Map.of(ip("2001:db8::1"), ip("2001:db8::2"))));
        assertEquals(new InetSocketAddress(ip("2001:db8::2"), 7004), socket(r.files(), 6).local());
        assertEquals(1, r.report().changed().size());
    }

    @Test
    void onlyTheAddressFieldsAndTheLengthsThatFrameThemChange() throws Exception {
        ImageFile before = ImageFile.decode("files.img", FILES);
        ImageFile after = rewrite(AddressRewrite.of(Map.of(OLD, NEW))).files();
        assertEquals(before.entryCount(), after.entryCount());
        for (int i = 0; i < before.entryCount(); i++) {
            ProtoMessage b = before.entries().get(i).message();
            ProtoMessage a = after.entries().get(i).message();
            if (List.of(1, 3, 5).contains(i)) {
                assertEquals(b.replacing(4, List.of()), a.replacing(4, List.of()), "file_entry " + i + " outside isk");
                ProtoMessage bIsk = b.nested(4, "isk");
                ProtoMessage aIsk = a.nested(4, "isk");
                assertEquals(bIsk.replacing(11, List.of()), aIsk.replacing(11, List.of()), "isk " + i + " outside src_addr");
                assertNotEquals(bIsk, aIsk);
            } else {
                assertArrayEquals(b.encode(), a.encode(), "entry " + i + " untouched");
            }
        }
        // Same-length addresses: the file is as long as before and differs only in the address bytes.
        byte[] out = after.encode();
        assertEquals(FILES.length, out.length);
        int differing = 0;
        for (int i = 0; i < out.length; i++) if (out[i] != FILES[i]) differing++;
        assertEquals(3, differing, "one byte (the last octet, the word's high byte) per rewritten address");
    }

    @Test
    void aPackedAddressStaysPacked() throws Exception {
        ProtoMessage packed = CONNECTION.replacing(11, List.of(Field.len(11, new byte[]{
                (byte) 0xc6, (byte) 0x92, 0x1c, 0x01, 0x00}))); // any varint; rewritten below
        ProtoMessage iskOld = packed.replacing(11, InetSockets.addressFields(11, InetSockets.words(Family.INET, OLD), true));
        byte[] files = image(ImageKind.FILES, entry(inetFile(iskOld)));
        ImageFile out = AddressRewrite.of(Map.of(OLD, NEW)).apply(ImageFile.decode("files.img", files)).files();
        ProtoMessage isk = out.entries().getFirst().message().nested(4, "isk");
        assertTrue(isk.isPacked(11));
        assertEquals(NEW, socket(out, 0).local().getAddress());
    }

    @Test
    void mixingIpv4AndIpv6OrNamingTheWildcardIsRefused() {
        assertEquals("address rewrite 198.18.7.1 -> 2001:db8:0:0:0:0:0:2 mixes IPv4 and IPv6",
                assertThrows(IllegalArgumentException.class,
                        () -> AddressRewrite.of(Map.of(OLD, ip("2001:db8::2")))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> AddressRewrite.of(Map.of(ANY, NEW)));
        assertThrows(IllegalArgumentException.class, () -> AddressRewrite.of(Map.of(OLD, ANY)));
        assertThrows(IllegalArgumentException.class, () -> AddressRewrite.of(Map.of()));
    }

    @Test
    void anImageDirRewritesFilesImgInPlaceAndShowsTheNewAddresses(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("files.img"), FILES);
        ImageDir images = ImageDir.open(dir);
        assertEquals(6, images.inetSockets().size());
        RewriteReport report = images.rewrite(AddressRewrite.of(Map.of(OLD, NEW)));
        assertEquals(3, report.changed().size());
        assertEquals(NEW, images.inetSockets().getFirst().local().getAddress());
        assertEquals(NEW, ImageDir.open(dir).inetSockets().getFirst().local().getAddress());
    }

    @Test
    void aSecondRewriteThroughTheSameImageDirStartsFromTheFirstOnesResult(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("files.img"), FILES);
        ImageDir images = ImageDir.open(dir);
        images.rewrite(AddressRewrite.of(Map.of(OLD, NEW)));
        InetAddress newer = ip("198.18.7.9");
        RewriteReport second = images.rewrite(AddressRewrite.of(Map.of(NEW, newer)));
        assertEquals(List.of(1L, 3L, 5L), second.changed().stream().map(c -> c.before().id()).toList());
        assertEquals(List.of(new InetSocketAddress(newer, 7000), new InetSocketAddress(newer, 7000),
                        new InetSocketAddress(newer, 7003)),
                second.changed().stream().map(c -> c.after().local()).toList());
        assertEquals(images.inetSockets(), ImageDir.open(dir).inetSockets(), "what is on disk is what it shows");
    }

    @Test
    void aRewriteThatMatchesNothingWritesNothing(@TempDir Path dir) throws Exception {
        Path files = dir.resolve("files.img");
        Files.write(files, FILES);
        var modified = Files.getLastModifiedTime(files);
        Thread.sleep(20);
        RewriteReport report = ImageDir.open(dir).rewrite(AddressRewrite.of(Map.of(ip("198.18.9.9"), NEW)));
        assertTrue(report.changed().isEmpty());
        assertEquals(modified, Files.getLastModifiedTime(files));
    }

    @Test
    void anInetSocketEntryWithTheWrongNumberOfAddressWordsIsRejected(@TempDir Path dir) throws Exception {
        ProtoMessage bad = CONNECTION.replacing(11, List.of(Field.varint(11, 1), Field.varint(11, 2)));
        Files.write(dir.resolve("files.img"), image(ImageKind.FILES, entry(regFile(9, "/x")), entry(inetFile(bad))));
        var e = assertThrows(ImageFormatException.class, () -> ImageDir.open(dir));
        assertTrue(e.getMessage().contains("entry 1: src_addr has 2 words, expected 1 for AF_INET"), e.getMessage());
    }
}
