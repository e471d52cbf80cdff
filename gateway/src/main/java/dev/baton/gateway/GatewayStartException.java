package dev.baton.gateway;

/**
 * The gateway could not start: a listen address is taken or not on this host, the state file is unreadable, or
 * the native transport is missing. Nothing is left bound or running when this is thrown.
 */
public final class GatewayStartException extends RuntimeException {
    public GatewayStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
