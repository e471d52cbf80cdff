package dev.baton.gateway.admin;

/**
 * An error answer of the admin API: its HTTP status and a message a user can act on. A handler throws it to answer
 * with that status ({@link #notFound}, {@link #badRequest}); {@link AdminClient} throws it when the gateway
 * answered with an error, carrying the gateway's message.
 */
public final class AdminException extends RuntimeException {
    private final int status;

    public AdminException(int status, String message) {
        super(message);
        if (status < 400 || status > 599) throw new IllegalArgumentException("not an error status: " + status);
        this.status = status;
    }

    /** 404: no such thing (an unknown id or name). */
    public static AdminException notFound(String message) {
        return new AdminException(404, message);
    }

    /** 400: the request is malformed or lacks something; the message says what. */
    public static AdminException badRequest(String message) {
        return new AdminException(400, message);
    }

    /** The HTTP status of the answer. */
    public int status() {
        return status;
    }
}
