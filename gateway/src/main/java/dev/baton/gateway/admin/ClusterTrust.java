package dev.baton.gateway.admin;

import dev.baton.ckpt.keys.ClusterKeys;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;

/**
 * The client side of the cluster's TLS for {@link java.net.http.HttpClient}: this host's identity, trusting only
 * the cluster CA, and no host name check. The JDK's HTTP client always checks the server's name against the URI
 * (only a JVM-wide property turns that off), but cluster hosts are authenticated by membership, not by name (see
 * {@link ClusterKeys}): a gateway reached at 198.18.0.5 has no such address in its certificate. This trust manager
 * checks the chain up to the cluster CA and leaves out the name check the JDK would add.
 */
final class ClusterTrust extends X509ExtendedTrustManager {
    private static final String TLS13 = "TLSv1.3";

    private final X509TrustManager chain;

    private ClusterTrust(X509TrustManager chain) {
        this.chain = chain;
    }

    /** A TLS 1.3 client context presenting {@code keys}' host identity. */
    static SSLContext clientContext(ClusterKeys keys) {
        X509TrustManager pkix = Arrays.stream(keys.trustManagerFactory().getTrustManagers())
                .filter(X509TrustManager.class::isInstance).map(X509TrustManager.class::cast).findFirst()
                .orElseThrow(() -> new IllegalStateException("this JDK has no X.509 trust manager"));
        try {
            SSLContext context = SSLContext.getInstance(TLS13);
            context.init(keys.keyManagerFactory().getKeyManagers(), new TrustManager[] {new ClusterTrust(pkix)}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make a TLS 1.3 context", e);
        }
    }

    /** TLS 1.3 only. */
    static SSLParameters clientParameters(SSLContext context) {
        SSLParameters p = context.getDefaultSSLParameters();
        p.setProtocols(new String[] {TLS13});
        return p;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType, Socket socket) throws CertificateException {
        chain.checkServerTrusted(certs, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType, SSLEngine engine)
            throws CertificateException {
        chain.checkServerTrusted(certs, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType) throws CertificateException {
        chain.checkServerTrusted(certs, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType, Socket socket) throws CertificateException {
        chain.checkClientTrusted(certs, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType, SSLEngine engine)
            throws CertificateException {
        chain.checkClientTrusted(certs, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType) throws CertificateException {
        chain.checkClientTrusted(certs, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return chain.getAcceptedIssuers();
    }
}
