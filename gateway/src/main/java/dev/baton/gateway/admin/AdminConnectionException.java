package dev.baton.gateway.admin;

import dev.baton.socket.StateJson;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A call could not reach the gateway's admin API, or no usable answer came back: nothing listens there, one side
 * refused the other's certificate, or the answer was not the API's. Error answers of the API itself are
 * {@link AdminException}s.
 */
public final class AdminConnectionException extends IOException {
    /** What went wrong, in terms a user can act on. */
    public enum Reason {
        /** Nothing listens there, no route, or no answer in time. */
        UNREACHABLE,
        /** The gateway refused our certificate: not issued by its cluster CA, or none. */
        CERTIFICATE_REFUSED,
        /** The gateway's certificate is not issued by our cluster CA. */
        UNTRUSTED_GATEWAY,
        /** The TLS handshake failed for another reason. */
        HANDSHAKE,
        /** The answer was not what the admin API sends. */
        PROTOCOL,
        /** The connection broke during the call. */
        LOST
    }

    private final Reason reason;
    private final InetSocketAddress admin;

    AdminConnectionException(Reason reason, InetSocketAddress admin, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.admin = admin;
    }

    public Reason reason() {
        return reason;
    }

    /** The admin API address the call went to. */
    public InetSocketAddress admin() {
        return admin;
    }

    static String at(InetSocketAddress admin) {
        return "the gateway admin API at " + StateJson.format(admin);
    }
}
