package dev.baton.ckpt.image;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class WireCodecTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Test
    void aMessageOfEveryWireTypeReencodesToTheSameBytes() {
        // 1: varint 150, 2: fixed64, 3: "hi", 4: fixed32, 5: nested {1: 1}
        byte[] bytes = hex("08 9601  11 0102030405060708  1a 02 6869  25 0a0b0c0d  2a 02 0801");
        ProtoMessage m = ProtoMessage.parse(bytes);
        assertEquals(5, m.fields().size());
        assertEquals(150, m.fields().get(0).bits());
        assertEquals(0x0807060504030201L, m.fields().get(1).bits());
        assertEquals("hi", new String(m.fields().get(2).content()));
        assertEquals(0x0d0c0b0aL, m.fields().get(3).bits());
        assertEquals(1, m.nested(5, "inner").uint32(1, "x"));
        assertArrayEquals(bytes, m.encode());
    }

    @Test
    void overLongVarintsAreKeptAsTheyWereWritten() {
        // field 1 = 0 in three bytes, field 2 = 1 with an over-long tag, field 3 = length 2 written in two bytes
        byte[] bytes = hex("08 808000  9000 01  1a 8200 6869");
        ProtoMessage m = ProtoMessage.parse(bytes);
        assertEquals(0, m.uint32(1, "a"));
        assertEquals(1, m.uint32(2, "b"));
        assertEquals("hi", new String(m.fields().get(2).content()));
        assertArrayEquals(bytes, m.encode());
    }

    @Test
    void replacingAFieldRewritesOnlyThatField() {
        byte[] bytes = hex("08 808000  10 05  18 07");
        ProtoMessage edited = ProtoMessage.parse(bytes).replacing(Field.varint(2, 300));
        assertEquals("08808000" + "10ac02" + "1807", hex(edited.encode()));
    }

    @Test
    void anAbsentFieldIsInsertedInFieldNumberOrder() {
        ProtoMessage m = ProtoMessage.parse(hex("08 01  18 03"));
        assertEquals("080110021803", hex(m.replacing(Field.varint(2, 2)).encode()));
        assertEquals("0801180320 04".replace(" ", ""), hex(m.replacing(Field.varint(4, 4)).encode()));
    }

    @Test
    void aRepeatedFieldIsReplacedWhereItsFirstOccurrenceWas() {
        ProtoMessage m = ProtoMessage.parse(hex("08 01  58 0a  58 0b  60 0c"));
        ProtoMessage edited = m.replacing(11, List.of(Field.varint(11, 0x0d)));
        assertEquals("0801580d600c", hex(edited.encode()));
    }

    @Test
    void repeatedUint32IsReadPackedAndUnpacked() {
        assertArrayEquals(new long[]{1, 300}, ProtoMessage.parse(hex("58 01  58 ac02")).repeatedUint32(11, "a"));
        ProtoMessage packed = ProtoMessage.parse(hex("5a 03 01ac02"));
        assertArrayEquals(new long[]{1, 300}, packed.repeatedUint32(11, "a"));
        assertTrue(packed.isPacked(11));
    }

    @Test
    void aTruncatedVarintIsRejectedAtItsOffset() {
        var e = assertThrows(MalformedMessageException.class, () -> ProtoMessage.parse(hex("08 01 10 96")));
        assertEquals(3, e.offset());
        assertTrue(e.getMessage().contains("truncated varint (value of field 2)"), e.getMessage());
    }

    @Test
    void aLengthBeyondTheMessageIsRejected() {
        var e = assertThrows(MalformedMessageException.class, () -> ProtoMessage.parse(hex("1a 05 6869")));
        assertEquals(1, e.offset());
        assertEquals("field 3: length 5 exceeds the 2 bytes left in the message", e.getMessage());
    }

    @Test
    void aTruncatedFixedValueIsRejected() {
        var e = assertThrows(MalformedMessageException.class, () -> ProtoMessage.parse(hex("25 0a0b")));
        assertEquals("field 4: truncated fixed32 value (2 of 4 bytes)", e.getMessage());
    }

    @Test
    void groupsAndInvalidWireTypesAreRejectedNotSkipped() {
        for (String tag : List.of("0b", "0c", "0e", "0f")) { // field 1 with wire types 3, 4, 6, 7
            var e = assertThrows(MalformedMessageException.class, () -> ProtoMessage.parse(hex("08 01" + tag + "00")));
            assertEquals(2, e.offset());
            assertTrue(e.getMessage().startsWith("field 1: unsupported wire type"), e.getMessage());
        }
        assertTrue(assertThrows(MalformedMessageException.class, () -> ProtoMessage.parse(hex("0b")))
                .getMessage().contains("group"));
    }

    @Test
    void aVarintOver64BitsIsRejected() {
        var e = assertThrows(MalformedMessageException.class,
                () -> ProtoMessage.parse(hex("08 ffffffffffffffffff02")));
        assertTrue(e.getMessage().startsWith("varint over 64 bits"), e.getMessage());
        assertThrows(MalformedMessageException.class, () -> ProtoMessage.parse(hex("08 8080808080808080808000")));
    }

    @Test
    void fieldNumberZeroIsRejected() {
        assertEquals("field number 0 (tag 0)",
                assertThrows(MalformedMessageException.class, () -> ProtoMessage.parse(hex("00 01"))).getMessage());
    }

    @Test
    void typedAccessorsCheckWhatTheSchemaSays() {
        ProtoMessage m = ProtoMessage.parse(hex("08 8080808010  12 00  18 01  18 02"));
        assertEquals("field 1 (a) is not a uint32: 4294967296",
                assertThrows(MalformedMessageException.class, () -> m.uint32(1, "a")).getMessage());
        assertEquals("field 2 (b) has wire type LEN, expected VARINT",
                assertThrows(MalformedMessageException.class, () -> m.uint32(2, "b")).getMessage());
        assertEquals("field 3 (c) appears 2 times, expected at most once",
                assertThrows(MalformedMessageException.class, () -> m.uint32(3, "c")).getMessage());
        assertEquals("required field 4 (d) is missing",
                assertThrows(MalformedMessageException.class, () -> m.uint32(4, "d")).getMessage());
    }

    @Test
    void anErrorInsideANestedMessageIsReportedAtItsOffsetInTheOuterOne() {
        ProtoMessage outer = ProtoMessage.parse(hex("08 01  22 03 0801 0b"));
        var e = assertThrows(MalformedMessageException.class, () -> outer.nested(4, "isk"));
        assertEquals(6, e.offset());
    }
}
