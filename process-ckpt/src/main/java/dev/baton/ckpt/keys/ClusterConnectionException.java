package dev.baton.ckpt.keys;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A connection to another host of the cluster could not be made or broke during a call: nothing answers there,
 * one side refused the other's certificate, the peer does not speak the protocol, or the connection was lost.
 * Each service has its subclass (the agent's, the gateway admin API's), so a caller catches the one it called;
 * {@link #reason()} says what a user can act on, the message names the address and the cause. Failures of the
 * operation itself are not connection failures: each service has its own exception for those.
 */
public abstract class ClusterConnectionException extends IOException {
    /** What went wrong, in terms a user can act on. */
    public enum Reason {
        /** Nothing listens there, no route, or no answer in time. */
        UNREACHABLE,
        /** The peer refused our certificate: not issued by its cluster CA, or none. */
        CERTIFICATE_REFUSED,
        /** The peer's certificate is not issued by our cluster CA. */
        UNTRUSTED_PEER,
        /** The TLS handshake failed for another reason. */
        HANDSHAKE,
        /** The peer does not speak this protocol (or this version of it), or its answer was not the protocol's. */
        PROTOCOL,
        /** The connection ended before the call did. */
        LOST
    }

    private final Reason reason;
    private final InetSocketAddress address;

    protected ClusterConnectionException(Reason reason, InetSocketAddress address, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.address = address;
    }

    public Reason reason() {
        return reason;
    }

    /** The address the call went to. */
    public InetSocketAddress address() {
        return address;
    }
}
