package dev.baton.ckpt.keys;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both ends of a refused handshake between cluster TLS contexts over loopback, read with {@link ClusterTlsFailures}:
 * the server's log line and the client's questions, from the exceptions the JDK really throws.
 */
class ClusterTlsFailuresTest {
    private static final String CLOSED =
            "it closed the connection during the handshake (does it trust the cluster CA?)";

    @TempDir
    Path tmp;

    /** A host of the cluster (it serves, and calls itself as a member would) and one of another cluster. */
    ClusterKeys member;
    ClusterKeys outsider;

    @BeforeEach
    void twoClusters() {
        member = ClusterKeys.init(tmp.resolve("cluster"), "member");
        outsider = ClusterKeys.init(tmp.resolve("other-cluster"), "outsider");
    }

    @Test
    void aCallerWithoutACertificateIsToldItWasRefusedAndTheServerSaysItPresentedNone() throws Exception {
        SSLContext anonymous = SSLContext.getInstance("TLSv1.3");
        anonymous.init(null, member.trustManagerFactory().getTrustManagers(), null);

        Refusal r = refusal(member.tlsContext(), socketOf(anonymous));

        assertEquals("it presented no certificate issued by the cluster CA", ClusterTlsFailures.whyRefused(r.server()));
        assertRefusedOurCertificate("certificate_required", r.client());
    }

    @Test
    void aCallerOfAnotherClusterIsToldItWasRefusedAndTheServerSaysItsCertificateIsNotFromTheCa() throws Exception {
        // It trusts the member's CA, so only the member's check of its certificate can stop it; it presents one
        // regardless.
        SSLContext outsiderTrustingMember = InsistentKeyManager.context(outsider, member);

        Refusal r = refusal(member.tlsContext(), socketOf(outsiderTrustingMember));

        String why = ClusterTlsFailures.whyRefused(r.server());
        assertTrue(why.startsWith("its certificate is not issued by the cluster CA (")
                && why.contains("certification path"), why);
        assertRefusedOurCertificate("certificate_unknown", r.client());
    }

    @Test
    void aCallerThatDoesNotTrustTheServerSaysSoAndTheServerLogsThatItEndedTheHandshake() throws Exception {
        Refusal r = refusal(outsider.tlsContext(), socketOf(member.tlsContext()));

        assertTrue(ClusterTlsFailures.peerNotFromOurCa(r.client()), String.valueOf(r.client()));
        assertFalse(ClusterTlsFailures.peerRefusedOurCertificate(r.client()), String.valueOf(r.client()));
        // The server reads the client's alert, or its flight's last write breaks on the closed connection.
        String why = ClusterTlsFailures.whyRefused(r.server());
        assertTrue(why.equals("it ended the handshake (certificate_unknown): it does not trust our certificate")
                || why.equals(CLOSED), why);
    }

    @Test
    void aCallerThatClosesBeforeTheHandshakeIsSaidToHaveClosedTheConnection() throws Exception {
        Refusal r = refusal(member.tlsContext(), port -> {
            try {
                return new Socket(InetAddress.getLoopbackAddress(), port);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });

        assertEquals(CLOSED, ClusterTlsFailures.whyRefused(r.server()));
    }

    @Test
    void aHandshakeThatFailsForAnotherReasonIsLoggedWithItsWholeCauseChain() throws Exception {
        SSLContext tls12 = SSLContext.getInstance("TLSv1.2");
        tls12.init(member.keyManagerFactory().getKeyManagers(), member.trustManagerFactory().getTrustManagers(), null);

        Refusal r = refusal(member.tlsContext(), port -> {
            SSLSocket s = socketOf(tls12).apply(port);
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            return s;
        });

        String why = ClusterTlsFailures.whyRefused(r.server());
        assertTrue(why.startsWith("the TLS handshake failed: javax.net.ssl.SSLHandshakeException: ")
                && why.contains("TLSv1.2"), why);
        assertTrue(ClusterTlsFailures.alert(r.client()).isPresent(), String.valueOf(r.client()));
        assertFalse(ClusterTlsFailures.peerRefusedOurCertificate(r.client()), String.valueOf(r.client()));
    }

    @Test
    void theAlertIsFoundAnywhereInTheCauseChainAndOnlyThere() {
        IOException wrapped = new IOException("the call failed",
                new SSLException("Received fatal alert: bad_certificate"));

        assertEquals(Optional.of("bad_certificate"), ClusterTlsFailures.alert(wrapped));
        assertTrue(ClusterTlsFailures.peerRefusedOurCertificate(wrapped));
        assertTrue(ClusterTlsFailures.causedBy(wrapped, SSLException.class));
        assertEquals(Optional.empty(), ClusterTlsFailures.alert(new IOException((String) null)));
        assertFalse(ClusterTlsFailures.causedBy(wrapped, UncheckedIOException.class));
    }

    /**
     * The client learns of the refusal from the server's alert, unless the server closed the connection while the
     * client was still writing its last handshake message: then the write breaks and no alert is read.
     */
    private static void assertRefusedOurCertificate(String alert, Throwable client) {
        assertNotNull(client, "the client did not notice the refusal");
        assertFalse(ClusterTlsFailures.peerNotFromOurCa(client), client.toString());
        if (client instanceof SocketException && !(client instanceof SSLException)) return;
        assertTrue(ClusterTlsFailures.peerRefusedOurCertificate(client), client.toString());
        assertEquals(Optional.of(alert), ClusterTlsFailures.alert(client));
    }

    /** What each end of one failed connection threw: the server at its handshake, the client at its first read. */
    private record Refusal(Throwable server, Throwable client) {
    }

    /** The client connects with its socket, completes its side of the handshake if it can, and reads. */
    private Refusal refusal(SSLContext serverContext, Function<Integer, ? extends Socket> client) throws Exception {
        try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Throwable> server = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.setSoTimeout(10_000);
                    s.startHandshake();
                    server.complete(null);
                } catch (Throwable t) {
                    server.complete(t);
                }
            });
            Throwable clientFailure = null;
            try (Socket s = client.apply(listener.getLocalPort())) {
                s.setSoTimeout(10_000);
                if (s instanceof SSLSocket ssl) {
                    ssl.startHandshake();
                    ssl.getInputStream().read();
                }
            } catch (IOException e) {
                clientFailure = e;
            }
            Throwable serverFailure = server.get(10, TimeUnit.SECONDS);
            assertNotNull(serverFailure, "the server accepted the caller");
            return new Refusal(serverFailure, clientFailure);
        }
    }

    private static Function<Integer, SSLSocket> socketOf(SSLContext context) {
        return port -> {
            try {
                return (SSLSocket) context.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }
}
