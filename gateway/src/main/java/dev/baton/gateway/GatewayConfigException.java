package dev.baton.gateway;

/**
 * A gateway configuration that cannot be used; the message names the field (as a JSON path, like
 * {@code services[1].listen}) and what is wrong with it.
 */
public final class GatewayConfigException extends IllegalArgumentException {
    private final String field;

    GatewayConfigException(String field, String problem) {
        super(field.isEmpty() ? problem : field + ": " + problem);
        this.field = field;
    }

    GatewayConfigException(String field, String problem, Throwable cause) {
        this(field, problem);
        initCause(cause);
    }

    /** The offending field as a JSON path ({@code services[1].listen}); empty when the whole file is at fault. */
    public String field() {
        return field;
    }
}
