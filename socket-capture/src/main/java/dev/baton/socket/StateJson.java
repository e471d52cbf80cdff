package dev.baton.socket;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The stable JSON form of {@link TcpSocketState}: components by name, addresses as {@code "198.18.0.1:80"} or
 * {@code "[2001:db8::1]:80"}, sequence numbers as unsigned 32-bit numbers, queue bytes in base64, absent
 * optional parts as {@code null}. Reading rejects unknown fields and other format versions rather than guess.
 */
public final class StateJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new SimpleModule("baton-socket-addresses")
                    .addSerializer(InetSocketAddress.class, new AddressSerializer())
                    .addDeserializer(InetSocketAddress.class, new AddressDeserializer()))
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .build();

    private StateJson() {}

    /** The mapper configured for Baton's socket types, for callers that embed states in larger documents. */
    public static ObjectMapper mapper() {
        return MAPPER.copy();
    }

    public static String write(TcpSocketState state) {
        try {
            return MAPPER.writeValueAsString(state);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise socket state", e);
        }
    }

    /** @throws IllegalArgumentException when the text is not a valid state of this format version */
    public static TcpSocketState read(String json) {
        try {
            return MAPPER.readValue(json, TcpSocketState.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a valid socket state: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * The state without the queue bytes, with queue lengths instead — what {@code baton sockets list} prints.
     */
    public static ObjectNode summary(TcpSocketState s) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("formatVersion", s.formatVersion());
        n.put("family", s.family().name());
        n.put("local", format(s.local()));
        n.put("remote", format(s.remote()));
        n.put("state", s.state().name());
        ObjectNode rq = n.putObject("receiveQueue");
        rq.put("seq", s.receiveQueue().seq());
        rq.put("endSeq", s.receiveQueue().endSeq());
        rq.put("length", s.receiveQueue().length());
        ObjectNode sq = n.putObject("sendQueue");
        sq.put("seq", s.sendQueue().seq());
        sq.put("unsentSeq", s.sendQueue().unsentSeq());
        sq.put("endSeq", s.sendQueue().endSeq());
        sq.put("unackedLength", s.sendQueue().unackedRef().length);
        sq.put("unsentLength", s.sendQueue().unsentRef().length);
        n.set("options", MAPPER.valueToTree(s.options()));
        if (s.timestamp() != null) n.put("timestamp", s.timestamp());
        else n.putNull("timestamp");
        n.set("window", MAPPER.valueToTree(s.window()));
        return n;
    }

    /** {@code "198.18.0.1:80"} or {@code "[2001:db8::1]:80"}: the form {@link #parseAddress} reads. */
    public static String format(InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        String host = ip.getHostAddress();
        return (ip instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** Parses {@code "198.18.0.1:80"} or {@code "[2001:db8::1]:80"}; never resolves names. */
    public static InetSocketAddress parseAddress(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) throw new IllegalArgumentException("not IP:PORT: " + text);
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        else if (host.contains(":")) throw new IllegalArgumentException("IPv6 needs brackets: [" + host + "]:PORT");
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in " + text);
        }
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port out of range in " + text);
        return new InetSocketAddress(InetAddress.ofLiteral(host), port);
    }

    private static final class AddressSerializer extends JsonSerializer<InetSocketAddress> {
        @Override
        public void serialize(InetSocketAddress value, JsonGenerator gen, SerializerProvider p) throws IOException {
            gen.writeString(format(value));
        }
    }

    private static final class AddressDeserializer extends JsonDeserializer<InetSocketAddress> {
        @Override
        public InetSocketAddress deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            try {
                return parseAddress(p.getValueAsString());
            } catch (IllegalArgumentException e) {
                return (InetSocketAddress) ctx.handleWeirdStringValue(InetSocketAddress.class, p.getValueAsString(),
                        e.getMessage());
            }
        }
    }
}
