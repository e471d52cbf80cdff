package dev.baton.ckpt.agent;

import dev.baton.ckpt.keys.ClusterConnectionException;
import dev.baton.ckpt.keys.ClusterTlsFailures;
import dev.baton.socket.StateJson;

import javax.net.ssl.SSLException;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * No call could be carried to an agent, or the connection broke during one: the agent is unreachable, one side
 * refused the other's certificate, they speak different protocols, or the connection was lost. Failures of the
 * operation itself are {@link AgentException}s.
 */
public final class AgentConnectionException extends ClusterConnectionException {

    AgentConnectionException(Reason reason, InetSocketAddress agent, String message, Throwable cause) {
        super(reason, agent, message, cause);
    }

    /**
     * A failure to connect to {@code agent} or to complete the handshake and read its greeting, as the caller
     * should see it. A refused client learns of it only when it reads the greeting (TLS 1.3).
     */
    static AgentConnectionException connecting(InetSocketAddress agent, IOException e) {
        if (e instanceof AgentConnectionException a) return a;
        if (e instanceof ConnectException) {
            return new AgentConnectionException(Reason.UNREACHABLE, agent, at(agent)
                    + ": connection refused (is 'baton agent' listening there?)", e);
        }
        if (e instanceof SocketTimeoutException) {
            return new AgentConnectionException(Reason.UNREACHABLE, agent, at(agent) + " did not answer in time", e);
        }
        if (e instanceof NoRouteToHostException) {
            return new AgentConnectionException(Reason.UNREACHABLE, agent, at(agent) + " is unreachable: "
                    + e.getMessage(), e);
        }
        if (ClusterTlsFailures.peerRefusedOurCertificate(e)) {
            return new AgentConnectionException(Reason.CERTIFICATE_REFUSED, agent, at(agent) + " refused our "
                    + "certificate (" + ClusterTlsFailures.alert(e).orElseThrow() + "): ours must be issued by that "
                    + "agent's cluster CA", e);
        }
        if (ClusterTlsFailures.peerNotFromOurCa(e)) {
            return new AgentConnectionException(Reason.UNTRUSTED_PEER, agent, at(agent) + " presented a "
                    + "certificate not signed by the cluster CA", e);
        }
        if (e instanceof EOFException || e instanceof SocketException && !(e instanceof SSLException)) {
            return new AgentConnectionException(Reason.CERTIFICATE_REFUSED, agent, at(agent) + " closed the "
                    + "connection during the TLS handshake: it probably refused our certificate (" + e.getMessage()
                    + ")", e);
        }
        if (e instanceof SSLException) {
            return new AgentConnectionException(Reason.HANDSHAKE, agent, "TLS handshake with " + at(agent)
                    + " failed: " + e.getMessage(), e);
        }
        return new AgentConnectionException(Reason.UNREACHABLE, agent, at(agent) + ": " + e, e);
    }

    static String at(InetSocketAddress agent) {
        return "agent at " + StateJson.format(agent);
    }
}
