package dev.baton.socket;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The JSON form of a state reads back equal, and anything that is not a valid state is refused. */
class StateJsonTest {

    static TcpSocketState state(boolean timestamps, boolean optionalPartsPresent, int received, int queued) {
        return state(Family.INET, addr("198.18.0.1", 7000), addr("198.18.0.2", 40000), timestamps,
                optionalPartsPresent, received, queued);
    }

    static TcpSocketState state(Family family, InetSocketAddress local, InetSocketAddress remote, boolean timestamps,
                                boolean optionalPartsPresent, int received, int queued) {
        Random r = new Random(received * 31L + queued);
        byte[] rq = new byte[received];
        byte[] unacked = new byte[queued / 3];
        byte[] unsent = new byte[queued - unacked.length];
        r.nextBytes(rq);
        r.nextBytes(unacked);
        r.nextBytes(unsent);
        return new TcpSocketState(TcpSocketState.FORMAT_VERSION, family, local, remote, TcpState.ESTABLISHED,
                new ReceiveQueue(0xFFFF_FFF0L, rq), new SendQueue(123_456_789L, unacked, unsent),
                new TcpOptions(1460, optionalPartsPresent, timestamps,
                        optionalPartsPresent ? new TcpOptions.WindowScale(7, 9) : null),
                timestamps ? 0xFFFF_FFFFL : null,
                optionalPartsPresent ? new RepairWindow(1, 2, 3, 0xFFFF_FFFFL, 5) : null);
    }

    static InetSocketAddress addr(String ip, int port) {
        return new InetSocketAddress(InetAddress.ofLiteral(ip), port);
    }

    static Stream<Arguments> states() {
        return Stream.of(
                Arguments.of(state(false, false, 0, 0)),
                Arguments.of(state(true, false, 1, 1)),
                Arguments.of(state(false, true, 65536, 3)),
                Arguments.of(state(true, true, 1 << 20, 1 << 20)),
                Arguments.of(state(true, true, 4 << 20, 4 << 20)),
                Arguments.of(state(Family.INET6, addr("::1", 7000), addr("::1", 40000), true, true, 100, 100)),
                Arguments.of(state(Family.INET6, addr("::ffff:198.18.0.1", 7000), addr("::ffff:198.18.0.2", 1),
                        false, true, 0, 5)),
                Arguments.of(state(Family.INET6, addr("2001:db8::1", 0), addr("2001:db8::2", 65535),
                        true, false, 7, 0)));
    }

    @ParameterizedTest
    @MethodSource("states")
    void aStateReadsBackEqualFromItsJson(TcpSocketState s) {
        String json = StateJson.write(s);
        TcpSocketState back = StateJson.read(json);
        assertEquals(s, back);
        assertEquals(s.receiveQueue().endSeq(), back.receiveQueue().endSeq());
        assertEquals(s.sendQueue().endSeq(), back.sendQueue().endSeq());
        assertEquals(json, StateJson.write(back), "writing is deterministic");
    }

    @Test
    void absentOptionalPartsAreWrittenAsNull() throws Exception {
        ObjectNode n = (ObjectNode) StateJson.mapper().readTree(StateJson.write(state(false, false, 0, 0)));
        assertTrue(n.get("timestamp").isNull());
        assertTrue(n.get("window").isNull());
        assertTrue(n.get("options").get("windowScale").isNull());
    }

    @Test
    void addressesAreWrittenAsLiteralsWithPorts() throws Exception {
        ObjectNode n = (ObjectNode) StateJson.mapper().readTree(StateJson.write(
                state(Family.INET6, addr("::1", 7000), addr("198.18.0.2", 9), false, false, 0, 0)));
        assertEquals("[0:0:0:0:0:0:0:1]:7000", n.get("local").asText());
        assertEquals("198.18.0.2:9", n.get("remote").asText());
    }

    private static String validJson() {
        return StateJson.write(state(true, true, 3, 3));
    }

    private static String withField(String field, String jsonValue) throws Exception {
        ObjectNode n = (ObjectNode) StateJson.mapper().readTree(validJson());
        n.set(field, StateJson.mapper().readTree(jsonValue));
        return n.toString();
    }

    private static void assertRejected(String json, String expectedInMessage) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateJson.read(json));
        assertTrue(e.getMessage().startsWith("not a valid socket state"), e.getMessage());
        if (expectedInMessage != null) {
            assertTrue(e.getMessage().contains(expectedInMessage), "message: " + e.getMessage());
        }
    }

    @Test
    void unknownFieldsAreRejected() throws Exception {
        assertRejected(withField("surprise", "1"), "surprise");
        ObjectNode n = (ObjectNode) StateJson.mapper().readTree(validJson());
        ((ObjectNode) n.get("options")).put("ecn", true);
        assertRejected(n.toString(), "ecn");
    }

    @Test
    void anotherFormatVersionIsRejected() throws Exception {
        assertRejected(withField("formatVersion", "2"), "format version 2");
        assertRejected(withField("formatVersion", "0"), "format version 0");
    }

    @Test
    void missingFieldsAreRejected() throws Exception {
        ObjectNode n = (ObjectNode) StateJson.mapper().readTree(validJson());
        n.remove("sendQueue");
        assertRejected(n.toString(), "sendQueue");
        ObjectNode m = (ObjectNode) StateJson.mapper().readTree(validJson());
        m.remove("formatVersion");
        assertRejected(m.toString(), null);
    }

    @Test
    void anIpv6AddressOnAnInetStateIsRejected() throws Exception {
        assertRejected(withField("local", "\"[2001:db8::1]:7000\""), "IPv4");
        assertRejected(withField("remote", "\"[::1]:7000\""), "IPv4");
    }

    @ParameterizedTest
    @ValueSource(strings = {"198.18.0.1", "198.18.0.1:", "198.18.0.1:http", "198.18.0.1:65536", "198.18.0.1:-1",
            "198.18.0.300:80", "::1:80", "[::1:80", "host.example:80", ":80", "", "[zz::1]:80"})
    void malformedAddressesAreRejected(String address) throws Exception {
        assertRejected(withField("local", "\"" + address + "\""), null);
    }

    @Test
    void aTimestampClockWithoutTimestampsIsRejected() throws Exception {
        ObjectNode n = (ObjectNode) StateJson.mapper().readTree(validJson());
        ((ObjectNode) n.get("options")).put("timestamps", false);
        assertRejected(n.toString(), "timestamp");
    }

    @Test
    void sequenceNumbersOutsideUnsigned32BitAreRejected() throws Exception {
        ObjectNode n = (ObjectNode) StateJson.mapper().readTree(validJson());
        ((ObjectNode) n.get("receiveQueue")).put("seq", 1L << 32);
        assertRejected(n.toString(), "unsigned 32-bit");
        ObjectNode m = (ObjectNode) StateJson.mapper().readTree(validJson());
        ((ObjectNode) m.get("sendQueue")).put("seq", -1);
        assertRejected(m.toString(), "unsigned 32-bit");
    }

    @Test
    void badQueueBytesAndUnknownStatesAreRejected() throws Exception {
        ObjectNode n = (ObjectNode) StateJson.mapper().readTree(validJson());
        ((ObjectNode) n.get("receiveQueue")).put("data", "not base64 !!");
        assertRejected(n.toString(), null);
        assertRejected(withField("state", "\"DANCING\""), null);
        assertRejected(withField("family", "\"INET7\""), null);
        assertRejected("{", null);
        assertRejected("[]", null);
    }
}
