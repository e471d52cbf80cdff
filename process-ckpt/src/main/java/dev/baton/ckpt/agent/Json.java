package dev.baton.ckpt.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.baton.socket.StateJson;

import java.io.IOException;
import java.net.ProtocolException;

/** The protocol's JSON: Baton's address form ({@code "198.18.0.2:7441"}), ISO instants, unknown fields refused. */
final class Json {
    private static final ObjectMapper MAPPER = StateJson.mapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private Json() {
    }

    static byte[] write(Message message) {
        try {
            return MAPPER.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + message.getClass().getSimpleName(), e);
        }
    }

    static Message read(byte[] json) throws ProtocolException {
        try {
            return MAPPER.readValue(json, Message.class);
        } catch (IOException e) {
            throw new ProtocolException("not a message of agent protocol version " + Message.VERSION + ": "
                    + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
    }
}
