package dev.baton.gateway.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.baton.socket.StateJson;

import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

/**
 * The admin API's JSON: Baton's address form ({@code "198.18.0.2:7441"}), ISO-8601 instants. Requests are read
 * strictly (unknown or missing fields are a 400 that names them); answers are read leniently, so a client keeps
 * working when the gateway adds fields.
 */
final class AdminJson {
    private static final ObjectMapper WRITER = StateJson.mapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    /** For request bodies: unknown and missing fields refused (StateJson's settings). */
    static final ObjectMapper STRICT = WRITER;
    /** For answers. */
    static final ObjectMapper LENIENT = WRITER.copy()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    private AdminJson() {
    }

    static byte[] write(Object value) {
        try {
            return WRITER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getName() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /** {@code {"error": message}} */
    static byte[] error(String message) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("error", message);
        return o.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A request body as {@code type}.
     *
     * @throws AdminException 400 naming what is wrong with the body
     */
    static <T> T readRequest(byte[] body, Class<T> type) {
        if (body.length == 0) throw AdminException.badRequest("the request has no body: a JSON object is expected");
        try {
            return STRICT.readValue(body, type);
        } catch (java.io.IOException e) {
            throw AdminException.badRequest("bad JSON body: " + problem(e));
        }
    }

    /** What is wrong with a body, for a person: the field, not Jackson's class names and source positions. */
    private static String problem(java.io.IOException e) {
        if (e instanceof ValueInstantiationException v && v.getCause() != null) {
            return v.getCause().getMessage();
        }
        if (e instanceof UnrecognizedPropertyException u) {
            String known = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream()
                    .map(String::valueOf).sorted().collect(Collectors.joining(", ", " (known: ", ")"));
            return "unknown field '" + u.getPropertyName() + "'" + known;
        }
        if (e instanceof InvalidFormatException f && !f.getPath().isEmpty()) {
            return "field '" + fieldPath(f) + "' has the wrong type (" + f.getValue() + ")";
        }
        if (e instanceof MismatchedInputException m) {
            String message = m.getOriginalMessage();
            if (message.startsWith("Missing creator property '")) {
                return "missing field '" + message.split("'")[1] + "'";
            }
            if (!m.getPath().isEmpty()) return "field '" + fieldPath(m) + "' has the wrong type";
            return "expected a JSON object";
        }
        if (e instanceof JsonProcessingException j) return "not valid JSON (" + j.getOriginalMessage() + ")";
        return e.toString();
    }

    private static String fieldPath(MismatchedInputException e) {
        return e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
    }
}
