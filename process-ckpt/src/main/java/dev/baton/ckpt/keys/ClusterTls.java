package dev.baton.ckpt.keys;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * An {@link SSLContext} whose every socket, server socket and engine speaks TLS 1.3 only and, in server mode,
 * requires a client certificate. The JDK has no way to set these as a context's defaults, so this wraps one and
 * applies {@link #restrict} to everything it creates.
 */
final class ClusterTls extends SSLContext {
    static final String PROTOCOL = "TLSv1.3";

    private ClusterTls(SSLContext base) {
        super(new Spi(base), base.getProvider(), base.getProtocol());
    }

    static SSLContext create(KeyManager[] keyManagers, TrustManager[] trustManagers) {
        try {
            SSLContext base = SSLContext.getInstance(PROTOCOL);
            base.init(keyManagers, trustManagers, null);
            return new ClusterTls(base);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make a TLS 1.3 context", e);
        }
    }

    /** TLS 1.3 only; a server requires the client's certificate (ignored in client mode). */
    static SSLParameters restrict(SSLParameters p) {
        p.setProtocols(new String[] {PROTOCOL});
        p.setNeedClientAuth(true);
        return p;
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext base;

        Spi(SSLContext base) {
            this.base = base;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {
            throw new UnsupportedOperationException("the cluster TLS context is initialised with the cluster keys");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return new SocketFactory(base.getSocketFactory());
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return new ServerSocketFactory(base.getServerSocketFactory());
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return restricted(base.createSSLEngine());
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return restricted(base.createSSLEngine(host, port));
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return base.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return base.getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return restrict(base.getDefaultSSLParameters());
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return restrict(base.getSupportedSSLParameters());
        }
    }

    private static SSLEngine restricted(SSLEngine e) {
        e.setSSLParameters(restrict(e.getSSLParameters()));
        return e;
    }

    private static Socket restricted(Socket s) {
        SSLSocket ssl = (SSLSocket) s;
        ssl.setSSLParameters(restrict(ssl.getSSLParameters()));
        return ssl;
    }

    private static ServerSocket restricted(ServerSocket s) {
        SSLServerSocket ssl = (SSLServerSocket) s;
        ssl.setSSLParameters(restrict(ssl.getSSLParameters()));
        return ssl;
    }

    private static final class SocketFactory extends SSLSocketFactory {
        private final SSLSocketFactory base;

        SocketFactory(SSLSocketFactory base) {
            this.base = base;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return base.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return base.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket() throws IOException {
            return restricted(base.createSocket());
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return restricted(base.createSocket(s, host, port, autoClose));
        }

        @Override
        public Socket createSocket(Socket s, InputStream consumed, boolean autoClose) throws IOException {
            return restricted(base.createSocket(s, consumed, autoClose));
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return restricted(base.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return restricted(base.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return restricted(base.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return restricted(base.createSocket(address, port, localAddress, localPort));
        }
    }

    private static final class ServerSocketFactory extends SSLServerSocketFactory {
        private final SSLServerSocketFactory base;

        ServerSocketFactory(SSLServerSocketFactory base) {
            this.base = base;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return base.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return base.getSupportedCipherSuites();
        }

        @Override
        public ServerSocket createServerSocket() throws IOException {
            return restricted(base.createServerSocket());
        }

        @Override
        public ServerSocket createServerSocket(int port) throws IOException {
            return restricted(base.createServerSocket(port));
        }

        @Override
        public ServerSocket createServerSocket(int port, int backlog) throws IOException {
            return restricted(base.createServerSocket(port, backlog));
        }

        @Override
        public ServerSocket createServerSocket(int port, int backlog, InetAddress ifAddress) throws IOException {
            return restricted(base.createServerSocket(port, backlog, ifAddress));
        }
    }
}
