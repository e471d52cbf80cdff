package dev.baton.ckpt.keys;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Mutual TLS 1.3 between hosts of a cluster over loopback, with the JDK's own sockets. */
class ClusterTlsTest {
    private static final byte[] PING = "ping from the client\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path tmp;

    ClusterKeys hostA;
    ClusterKeys hostB;
    ClusterKeys stranger;
    SSLServerSocket server;

    @BeforeEach
    void cluster() {
        hostA = ClusterKeys.init(tmp.resolve("a"), "host-a");
        hostB = ClusterKeys.issue(tmp.resolve("a"), "host-b", tmp.resolve("b"));
        stranger = ClusterKeys.init(tmp.resolve("other-cluster"), "host-b");
    }

    @AfterEach
    void closeServer() throws IOException {
        if (server != null) server.close();
    }

    @Test
    void twoHostsOfOneClusterCompleteAMutualTls13HandshakeAndExchangeBytes() throws Exception {
        CompletableFuture<String> served = serveOnce(hostA.tlsContext());
        try (SSLSocket client = connect(hostB.tlsContext())) {
            client.getOutputStream().write(PING);
            client.getOutputStream().flush();
            byte[] echo = client.getInputStream().readNBytes(PING.length);
            assertArrayEquals(PING, echo);
            assertEquals("TLSv1.3", client.getSession().getProtocol());
            assertEquals("host-a", ClusterKeys.peerHostName(client.getSession()));
        }
        assertEquals("TLSv1.3 client host-b", served.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aClientWithAnIdentityFromAnotherClusterIsRefused() throws Exception {
        // The client trusts the server's CA, so only the server's check of the client certificate can refuse it;
        // and it presents its certificate even though the server asks for one from the cluster CA.
        SSLContext strangerTrustingA = InsistentKeyManager.context(stranger, hostB);
        CompletableFuture<String> served = serveOnce(hostA.tlsContext());
        assertClientCannotTalk(strangerTrustingA);
        assertRefused(served, "unable to find valid certification path");
    }

    @Test
    void aClientWithoutACertificateIsRefused() throws Exception {
        SSLContext anonymous = SSLContext.getInstance("TLSv1.3");
        anonymous.init(null, hostB.trustManagerFactory().getTrustManagers(), null);
        CompletableFuture<String> served = serveOnce(hostA.tlsContext());
        assertClientCannotTalk(anonymous);
        assertRefused(served, "Empty client certificate chain");
    }

    @Test
    void aServerFromAnotherClusterIsRefusedByTheClient() throws Exception {
        CompletableFuture<String> served = serveOnce(stranger.tlsContext());
        SSLException e = assertThrows(SSLException.class, () -> {
            try (SSLSocket client = connect(hostB.tlsContext())) {
                client.startHandshake();
            }
        });
        assertTrue(e.getMessage().contains("unable to find valid certification path"), e.getMessage());
        // The server sees the client's alert, or the connection closed under it.
        assertInstanceOf(IOException.class, assertThrows(ExecutionException.class,
                () -> served.get(10, TimeUnit.SECONDS)).getCause());
    }

    @Test
    void aClientThatOffersOnlyTls12IsRefused() throws Exception {
        SSLContext tls12 = SSLContext.getInstance("TLSv1.2");
        tls12.init(hostB.keyManagerFactory().getKeyManagers(), hostB.trustManagerFactory().getTrustManagers(), null);
        CompletableFuture<String> served = serveOnce(hostA.tlsContext());
        assertThrows(SSLException.class, () -> {
            try (SSLSocket client = (SSLSocket) tls12.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                    server.getLocalPort())) {
                client.setEnabledProtocols(new String[] {"TLSv1.2"});
                client.startHandshake();
            }
        });
        assertRefused(served, "protocol");
    }

    @Test
    void enginesAndServerSocketsOfTheContextAreRestrictedToo() throws Exception {
        SSLEngine engine = hostA.tlsContext().createSSLEngine();
        engine.setUseClientMode(false);
        assertArrayEquals(new String[] {"TLSv1.3"}, engine.getEnabledProtocols());
        assertTrue(engine.getNeedClientAuth());
        try (SSLServerSocket s = (SSLServerSocket) hostA.tlsContext().getServerSocketFactory().createServerSocket(0)) {
            assertArrayEquals(new String[] {"TLSv1.3"}, s.getEnabledProtocols());
            assertTrue(s.getNeedClientAuth());
        }
        assertArrayEquals(new String[] {"TLSv1.3"}, hostA.tlsContext().getDefaultSSLParameters().getProtocols());
    }

    /** Accepts one connection: handshake, echo one line, and completes with "protocol client CN". */
    private CompletableFuture<String> serveOnce(SSLContext context) throws IOException {
        server = (SSLServerSocket) context.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (SSLSocket s = (SSLSocket) server.accept()) {
                s.setSoTimeout(10_000);
                s.startHandshake();
                byte[] line = s.getInputStream().readNBytes(PING.length);
                s.getOutputStream().write(line);
                s.getOutputStream().flush();
                result.complete(s.getSession().getProtocol() + " client " + ClusterKeys.peerHostName(s.getSession()));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    private SSLSocket connect(SSLContext context) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        s.setSoTimeout(10_000);
        return s;
    }

    /**
     * In TLS 1.3 the client's handshake ends before the server has checked the client's certificate: the client
     * learns of the refusal on its next read or write, as an alert or a closed connection.
     */
    private void assertClientCannotTalk(SSLContext context) {
        assertThrows(IOException.class, () -> {
            try (SSLSocket client = connect(context)) {
                client.getOutputStream().write(PING);
                client.getOutputStream().flush();
                if (client.getInputStream().read() < 0) throw new java.io.EOFException("closed by the server");
            }
        });
    }

    private static void assertRefused(CompletableFuture<String> served, String why) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> served.get(10, TimeUnit.SECONDS));
        assertInstanceOf(SSLException.class, e.getCause(), String.valueOf(e.getCause()));
        assertTrue(String.valueOf(e.getCause().getMessage()).contains(why), e.getCause().getMessage());
    }
}
