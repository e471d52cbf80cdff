package dev.baton.gateway.admin;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One request as a handler sees it.
 *
 * @param method      {@code GET} or {@code POST}
 * @param path        the path, decoded, without the query
 * @param pathParams  the values of the route's {@code {name}} segments, decoded
 * @param queryParams the query parameters, decoded, each with its values in order
 * @param body        the request body (empty for none)
 * @param caller      the cluster host name of the caller (the CN of its client certificate)
 */
public record AdminRequest(String method, String path, Map<String, String> pathParams,
                           Map<String, List<String>> queryParams, byte[] body, String caller) {
    public AdminRequest {
        pathParams = Map.copyOf(pathParams);
        queryParams = Map.copyOf(queryParams);
    }

    /**
     * The value of the route's path parameter {@code name}.
     *
     * @throws IllegalArgumentException when the route has no such parameter (a programming error)
     */
    public String pathParam(String name) {
        String value = pathParams.get(name);
        if (value == null) throw new IllegalArgumentException("the route of " + path + " has no parameter {" + name + "}");
        return value;
    }

    /** The first value of the query parameter {@code name}, if given. */
    public Optional<String> query(String name) {
        List<String> values = queryParams.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }

    /**
     * The body read as JSON into {@code type} (a record: every component required, unknown fields refused).
     *
     * @throws AdminException 400 naming what is wrong with the body
     */
    public <T> T body(Class<T> type) {
        return AdminJson.readRequest(body, type);
    }

    @Override
    public String toString() {
        return method + " " + path + " from " + caller;
    }
}
