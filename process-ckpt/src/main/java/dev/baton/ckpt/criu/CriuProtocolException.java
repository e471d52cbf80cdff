package dev.baton.ckpt.criu;

/**
 * The conversation with {@code criu swrk} broke: it could not be started, it died or hung up, or it sent a packet
 * that is truncated, not a {@code criu_resp}, or not the answer to the request. Not a CRIU verdict on the request
 * (that is {@link CriuException}).
 */
public final class CriuProtocolException extends RuntimeException {
    CriuProtocolException(String message) {
        super(message);
    }

    CriuProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
