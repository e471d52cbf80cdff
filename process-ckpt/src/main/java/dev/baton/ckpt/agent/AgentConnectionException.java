package dev.baton.ckpt.agent;

import dev.baton.socket.StateJson;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * No call could be carried to an agent, or the connection broke during one: the agent is unreachable, one side
 * refused the other's certificate, they speak different protocols, or the connection was lost. Failures of the
 * operation itself are {@link AgentException}s.
 */
public final class AgentConnectionException extends IOException {
    /** What went wrong, in terms a user can act on. */
    public enum Reason {
        /** Nothing listens there, no route, or no answer in time. */
        UNREACHABLE,
        /** The agent refused our certificate: not issued by its cluster CA, or none. */
        CERTIFICATE_REFUSED,
        /** The agent's certificate is not signed by our cluster CA. */
        UNTRUSTED_AGENT,
        /** The TLS handshake failed for another reason. */
        HANDSHAKE,
        /** The peer does not speak this protocol (version). */
        PROTOCOL,
        /** The connection ended before the call did. */
        LOST
    }

    private final Reason reason;
    private final InetSocketAddress agent;

    AgentConnectionException(Reason reason, InetSocketAddress agent, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.agent = agent;
    }

    public Reason reason() {
        return reason;
    }

    /** The address of the agent we tried to reach. */
    public InetSocketAddress agent() {
        return agent;
    }

    static String at(InetSocketAddress agent) {
        return "agent at " + StateJson.format(agent);
    }
}
