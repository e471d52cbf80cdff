package dev.baton.ckpt.keys;

import javax.net.ssl.SSLException;
import java.io.EOFException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.security.cert.CertificateException;
import java.util.Optional;
import java.util.Set;

/**
 * What the JDK's TLS exceptions say about a failed handshake between two hosts of the cluster
 * ({@link ClusterKeys#tlsContext()} on both ends), from either end. The JDK reports these only as messages and
 * causes; this reads them in one place so that every client and server of the cluster names the same failure the
 * same way.
 *
 * <p>In TLS 1.3 a client completes its handshake before the server has checked the client's certificate, so a
 * refused client learns of it only from an alert (or a closed connection) on its first read: ask these questions of
 * whatever a client's first exchange threw, not only of {@code startHandshake}.
 */
public final class ClusterTlsFailures {
    private static final String RECEIVED_ALERT = "Received fatal alert: ";
    /** Alerts a server sends when it does not accept the client's certificate (RFC 8446 §6.2). */
    private static final Set<String> CERTIFICATE_ALERTS = Set.of("bad_certificate", "certificate_required",
            "certificate_unknown", "unknown_ca", "unsupported_certificate", "certificate_expired",
            "certificate_revoked", "access_denied");

    private ClusterTlsFailures() {
    }

    /** The name of the TLS alert the peer sent ({@code "bad_certificate"}), found anywhere in the cause chain. */
    public static Optional<String> alert(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m == null) continue;
            int i = m.indexOf(RECEIVED_ALERT);
            if (i >= 0) return Optional.of(m.substring(i + RECEIVED_ALERT.length()).strip());
        }
        return Optional.empty();
    }

    /** The peer ended the handshake with an alert that refuses our certificate ({@link #alert} names it). */
    public static boolean peerRefusedOurCertificate(Throwable e) {
        return alert(e).filter(CERTIFICATE_ALERTS::contains).isPresent();
    }

    /** Our side refused the peer's certificate: it does not chain to our cluster CA (another cluster's host). */
    public static boolean peerNotFromOurCa(Throwable e) {
        return e instanceof SSLException && causedBy(e, CertificateException.class);
    }

    /**
     * Why a server refused a caller at the handshake, as the end of a log line ("refused a caller at ADDR: "):
     * no certificate, one of another CA, the caller's own refusal of ours, a connection closed mid-handshake, or
     * else the whole cause chain.
     */
    public static String whyRefused(Throwable e) {
        if (anyMessageContains(e, "Empty client certificate chain") || anyMessageContains(e, "certificate_required")) {
            // The JDK's client sends none when it holds none from the CA the server names: another cluster's.
            return "it presented no certificate issued by the cluster CA";
        }
        if (causedBy(e, CertificateException.class)) {
            return "its certificate is not issued by the cluster CA (" + deepest(e).getMessage() + ")";
        }
        if (peerRefusedOurCertificate(e)) {
            return "it ended the handshake (" + alert(e).orElseThrow() + "): it does not trust our certificate";
        }
        if (causedBy(e, ClosedChannelException.class) || causedBy(e, EOFException.class)
                || causedBy(e, SocketException.class)) {
            // A caller that refuses our certificate may close while we still write our flight: a broken pipe.
            return "it closed the connection during the handshake (does it trust the cluster CA?)";
        }
        return "the TLS handshake failed: " + chain(e);
    }

    /** {@code e} or one of its causes is a {@code type}. */
    public static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
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
