package dev.baton.ckpt.keys;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/**
 * A client key manager that presents its identity whatever certificate authorities the server asks for, as an
 * attacker would (the JDK's own sends none when it holds none from those authorities). Shared with the gateway's
 * tests (process-ckpt's test jar).
 */
public final class InsistentKeyManager extends X509ExtendedKeyManager {
    private final X509KeyManager identity;

    public InsistentKeyManager(ClusterKeys identity) {
        this.identity = (X509KeyManager) identity.keyManagerFactory().getKeyManagers()[0];
    }

    /**
     * A TLS 1.3 client context that presents {@code identity}'s certificate whatever the server asks for and
     * trusts {@code trusted}'s cluster CA: with another cluster's identity, only the server's check of the client
     * certificate can refuse it.
     */
    public static SSLContext context(ClusterKeys identity, ClusterKeys trusted) throws GeneralSecurityException {
        SSLContext tls = SSLContext.getInstance("TLSv1.3");
        tls.init(new KeyManager[] {new InsistentKeyManager(identity)}, trusted.trustManagerFactory().getTrustManagers(),
                null);
        return tls;
    }

    private String alias() {
        return identity.getClientAliases("EdDSA", null)[0];
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return alias();
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return alias();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[] {alias()};
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return identity.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return identity.getPrivateKey(alias);
    }
}
