package dev.baton.ckpt.agent;

import dev.baton.ckpt.agent.AgentConnectionException.Reason;

import javax.net.ssl.SSLException;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.security.cert.CertificateException;
import java.util.Set;

import static dev.baton.ckpt.agent.AgentConnectionException.at;

/**
 * What the JDK's TLS and socket exceptions mean for an agent and its callers. In TLS 1.3 a client finishes its
 * handshake before the server has checked the client's certificate, so a refused client learns it only from an
 * alert (or a closed connection) on its first read: the agent's greeting.
 */
final class TlsFailures {
    /** Alerts a server sends when it does not accept the client's certificate. */
    private static final Set<String> CERTIFICATE_ALERTS = Set.of("bad_certificate", "certificate_required",
            "certificate_unknown", "unknown_ca", "unsupported_certificate", "certificate_expired",
            "certificate_revoked", "access_denied");

    private TlsFailures() {
    }

    /** A failure to connect or to complete the handshake, as the caller should see it. */
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
        String alert = alert(e);
        if (alert != null && CERTIFICATE_ALERTS.contains(alert)) {
            return new AgentConnectionException(Reason.CERTIFICATE_REFUSED, agent, at(agent) + " refused our "
                    + "certificate (" + alert + "): ours must be issued by that agent's cluster CA", e);
        }
        if (e instanceof SSLException && causedBy(e, CertificateException.class)) {
            return new AgentConnectionException(Reason.UNTRUSTED_AGENT, agent, at(agent) + " presented a "
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

    /** Why an agent refused a caller at the handshake, for its log. */
    static String refusal(IOException e) {
        String alert = alert(e);
        String m = String.valueOf(e.getMessage());
        if (m.contains("Empty client certificate chain")) return "it presented no certificate from the cluster CA";
        if (causedBy(e, CertificateException.class)) return "its certificate is not signed by the cluster CA";
        if (alert != null && CERTIFICATE_ALERTS.contains(alert)) return "it did not accept our certificate (" + alert + ")";
        return m;
    }

    /** The name of the TLS alert the peer sent ("bad_certificate"), or null. */
    private static String alert(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m == null) continue;
            int i = m.indexOf("Received fatal alert: ");
            if (i >= 0) return m.substring(i + "Received fatal alert: ".length()).strip();
        }
        return null;
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) return true;
        }
        return false;
    }
}
