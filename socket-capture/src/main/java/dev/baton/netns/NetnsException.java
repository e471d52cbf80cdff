package dev.baton.netns;

/** A network namespace could not be made, entered or removed. */
public final class NetnsException extends RuntimeException {
    public NetnsException(String message) {
        super(message);
    }

    public NetnsException(String message, Throwable cause) {
        super(message, cause);
    }
}
