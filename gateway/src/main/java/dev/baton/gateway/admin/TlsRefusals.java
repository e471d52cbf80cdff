package dev.baton.gateway.admin;

import java.security.cert.CertificateException;
import java.util.Set;

/**
 * What the JDK's TLS failures mean for the admin API, on both sides. In TLS 1.3 the client completes its handshake
 * before the server has checked the client's certificate, so a refused client learns it only from an alert (or a
 * closed connection) when it reads the answer.
 */
final class TlsRefusals {
    /** Alerts a server sends when it does not accept the client's certificate. */
    static final Set<String> CERTIFICATE_ALERTS = Set.of("bad_certificate", "certificate_required",
            "certificate_unknown", "unknown_ca", "unsupported_certificate", "certificate_expired",
            "certificate_revoked", "access_denied");

    private TlsRefusals() {
    }

    /** Why the server refused a caller at the handshake, for its log. */
    static String why(Throwable e) {
        if (anyMessageContains(e, "Empty client certificate chain") || anyMessageContains(e, "certificate_required")) {
            // The JDK's client sends none when it holds none from the CA the server names: another cluster's.
            return "it presented no certificate issued by the cluster CA";
        }
        if (causedBy(e, CertificateException.class)) {
            return "its certificate is not issued by the cluster CA (" + deepest(e).getMessage() + ")";
        }
        String alert = alert(e);
        if (alert != null) return "it ended the handshake (" + alert + "): it does not trust our certificate";
        if (causedBy(e, java.nio.channels.ClosedChannelException.class)) {
            return "it closed the connection during the handshake (does it trust the cluster CA?)";
        }
        return "the TLS handshake failed: " + chain(e);
    }

    /** The name of the TLS alert the peer sent ("bad_certificate"), or null. */
    static String alert(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m == null) continue;
            int i = m.indexOf("Received fatal alert: ");
            if (i >= 0) return m.substring(i + "Received fatal alert: ".length()).strip();
        }
        return null;
    }

    static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) return true;
        }
        return false;
    }

    private static boolean anyMessageContains(Throwable e, String text) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(text)) return true;
        }
        return false;
    }

    private static String chain(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) s.append(s.isEmpty() ? "" : " <- ").append(t);
        return s.toString();
    }

    private static Throwable deepest(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }
}
