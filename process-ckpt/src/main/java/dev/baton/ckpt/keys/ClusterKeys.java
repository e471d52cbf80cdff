package dev.baton.ckpt.keys;

import dev.baton.ckpt.BatonHome;

import dev.baton.ckpt.keys.Certificates.Identity;
import dev.baton.ckpt.keys.KeysException.Reason;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The key material of one host in a Baton cluster, in a directory of PEM files:
 * <pre>
 *   ca.crt      the cluster CA (Ed25519, 10 years): the only root any host trusts
 *   ca.key      its private key: only on the host that ran {@code init}; it issues the other hosts' identities
 *   host.crt    this host's identity (Ed25519, 1 year, CN and SAN = host name, + localhost/127.0.0.1/::1,
 *               client and server authentication), signed by the CA
 *   host.key    its private key
 *   bundle.key  the cluster's bundle secret (32 random bytes): every host can open every host's bundles
 * </pre>
 * Private files are 0600 in a 0700 directory and are refused on load when group or others can read them. Keys
 * are not encrypted at rest: agents start unattended; the file permissions are the protection.
 *
 * <p><b>TLS.</b> {@link #tlsContext()} speaks TLS 1.3 only, presents the host identity and trusts only the
 * cluster CA; servers made from it require a client certificate. Peers are authenticated by membership of the
 * cluster, not by host name: there is no hostname verification (hosts migrate workloads between one another,
 * are reached by whatever address routes, and every identity is issued by the cluster's own CA). A caller that
 * needs to know <em>which</em> host it talks to reads {@link #peerHostName}. There is no revocation: a host that
 * must leave the cluster means a new cluster ({@code init} again and re-issue).
 */
public final class ClusterKeys {
    private final Path dir;
    private final X509Certificate ca;
    private final X509Certificate host;
    private final PrivateKey hostKey;
    private final byte[] bundleSecret;
    private SSLContext tls;
    private final boolean holdsCaKey;

    private ClusterKeys(Path dir, X509Certificate ca, X509Certificate host, PrivateKey hostKey, byte[] bundleSecret,
                        boolean holdsCaKey) {
        this.dir = dir;
        this.ca = ca;
        this.host = host;
        this.hostKey = hostKey;
        this.bundleSecret = bundleSecret;
        this.holdsCaKey = holdsCaKey;
    }

    /** {@code $BATON_HOME/keys} (see {@link BatonHome}). */
    public static Path defaultDir() {
        return BatonHome.resolve("keys");
    }

    /**
     * Creates a new cluster in {@code dir}: its CA, the identity of {@code hostName} and the bundle secret.
     * {@code dir} is created (0700) when absent and must otherwise be empty: existing material is never
     * overwritten.
     *
     * @throws KeysException {@code EXISTS} when {@code dir} holds files, {@code INVALID_HOST_NAME}, {@code IO}
     */
    public static ClusterKeys init(Path dir, String hostName) {
        Certificates.checkHostName(hostName);
        Instant now = Instant.now();
        Identity ca = Certificates.newCa(now);
        Identity host = newHostIdentity(ca, hostName, now);
        KeyFiles.writeAll(dir, List.of(
                KeyFiles.privateKey(KeyFiles.CA_KEY, ca.key()),
                KeyFiles.certificate(KeyFiles.CA_CERT, ca.cert()),
                KeyFiles.privateKey(KeyFiles.HOST_KEY, host.key()),
                KeyFiles.certificate(KeyFiles.HOST_CERT, host.cert()),
                KeyFiles.bundleKey(Certificates.randomBytes(KeyFiles.BUNDLE_KEY_BYTES))));
        return load(dir);
    }

    /**
     * Issues the identity of another host of the cluster whose CA key is in {@code caDir}, into {@code outDir}
     * (created 0700 when absent, otherwise empty): {@code ca.crt}, {@code host.key}, {@code host.crt} and
     * {@code bundle.key}, never {@code ca.key}. Copy {@code outDir} to that host as its key directory.
     *
     * @throws KeysException {@code MISSING} when {@code caDir} has no CA key, and as {@link #load} and {@link #init}
     */
    public static ClusterKeys issue(Path caDir, String hostName, Path outDir) {
        Certificates.checkHostName(hostName);
        ClusterKeys issuer = load(caDir);
        if (!issuer.holdsCaKey) {
            throw new KeysException(Reason.MISSING, caDir.resolve(KeyFiles.CA_KEY) + " is missing: identities are "
                    + "issued on the host that ran 'baton keys init'");
        }
        Identity ca = new Identity(KeyFiles.readPrivateKey(caDir, KeyFiles.CA_KEY), issuer.ca);
        Identity host = newHostIdentity(ca, hostName, Instant.now());
        KeyFiles.writeAll(outDir, List.of(
                KeyFiles.certificate(KeyFiles.CA_CERT, ca.cert()),
                KeyFiles.privateKey(KeyFiles.HOST_KEY, host.key()),
                KeyFiles.certificate(KeyFiles.HOST_CERT, host.cert()),
                KeyFiles.bundleKey(issuer.bundleSecret)));
        return load(outDir);
    }

    /**
     * Loads and checks the key material in {@code dir}: every file present and well-formed, private files not
     * readable by others, certificates valid now, the host certificate issued by the CA and matching its key.
     *
     * @throws KeysException naming the file and what is wrong with it
     */
    public static ClusterKeys load(Path dir) {
        X509Certificate ca = KeyFiles.readCertificate(dir, KeyFiles.CA_CERT);
        X509Certificate host = KeyFiles.readCertificate(dir, KeyFiles.HOST_CERT);
        PrivateKey hostKey = KeyFiles.readPrivateKey(dir, KeyFiles.HOST_KEY);
        byte[] secret = KeyFiles.readBundleKey(dir);
        if (!Certificates.signedBy(ca, ca) || ca.getBasicConstraints() < 0) {
            throw new KeysException(Reason.MALFORMED, dir.resolve(KeyFiles.CA_CERT) + " is not a self-signed CA "
                    + "certificate");
        }
        checkValidNow(ca, dir.resolve(KeyFiles.CA_CERT).toString(), "the cluster CA");
        if (!Certificates.signedBy(host, ca)) {
            throw new KeysException(Reason.NOT_FROM_CA, dir.resolve(KeyFiles.HOST_CERT) + " (" + subject(host)
                    + ", issued by " + host.getIssuerX500Principal().getName() + ") was not issued by the cluster CA "
                    + "in " + dir.resolve(KeyFiles.CA_CERT) + " (" + subject(ca) + ")");
        }
        checkValidNow(host, dir.resolve(KeyFiles.HOST_CERT).toString(), "this host's identity");
        if (!Certificates.keyMatches(hostKey, host)) {
            throw new KeysException(Reason.KEY_MISMATCH, dir.resolve(KeyFiles.HOST_KEY) + " is not the key of "
                    + dir.resolve(KeyFiles.HOST_CERT));
        }
        boolean holdsCaKey = Files.exists(dir.resolve(KeyFiles.CA_KEY));
        if (holdsCaKey && !Certificates.keyMatches(KeyFiles.readPrivateKey(dir, KeyFiles.CA_KEY), ca)) {
            throw new KeysException(Reason.KEY_MISMATCH, dir.resolve(KeyFiles.CA_KEY) + " is not the key of "
                    + dir.resolve(KeyFiles.CA_CERT));
        }
        return new ClusterKeys(dir, ca, host, hostKey, secret, holdsCaKey);
    }

    public Path dir() {
        return dir;
    }

    /** This host's name in the cluster: the CN of its certificate. */
    public String hostName() {
        return Certificates.commonName(host);
    }

    public X509Certificate caCertificate() {
        return ca;
    }

    public X509Certificate hostCertificate() {
        return host;
    }

    /** Whether the directory holds the CA key, so {@link #issue} can use it. */
    public boolean canIssue() {
        return holdsCaKey;
    }

    /** The cluster's bundle secret (32 bytes), input keying material for the bundles' key derivation. */
    public SecretKey bundleKey() {
        return new SecretKeySpec(bundleSecret, "Generic");
    }

    /**
     * A public name for the bundle secret: 8 bytes of SHA-256 over a label and the secret, in hex. Two hosts
     * with the same id can open each other's bundles; the id reveals nothing about the secret.
     */
    public String bundleKeyId() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update("baton bundle key id\0".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(Arrays.copyOf(md.digest(bundleSecret), 8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    /** An Ed25519 signature of {@code message} by this host's key; verify it with {@link #hostCertificate()}. */
    public byte[] sign(byte[] message) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(hostKey);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with the host key " + dir.resolve(KeyFiles.HOST_KEY), e);
        }
    }

    /**
     * Checks that {@code cert} is a host identity of this cluster, valid now, and returns its host name.
     *
     * @throws KeysException {@code NOT_FROM_CA} or {@code EXPIRED}
     */
    public String checkMember(X509Certificate cert) {
        if (!Certificates.signedBy(cert, ca)) {
            throw new KeysException(Reason.NOT_FROM_CA, "certificate " + subject(cert) + " (issued by "
                    + cert.getIssuerX500Principal().getName() + ") was not issued by this cluster's CA ("
                    + subject(ca) + ")");
        }
        checkValidNow(cert, "certificate " + subject(cert), "the certificate of " + Certificates.commonName(cert));
        return Certificates.commonName(cert);
    }

    /**
     * Key managers presenting this host's identity (with the CA certificate as its chain), for TLS stacks built
     * elsewhere (e.g. Netty's {@code SslContextBuilder}). Such a stack must itself be limited to TLS 1.3 and
     * require client certificates ({@link #configureServer}).
     */
    public KeyManagerFactory keyManagerFactory() {
        try {
            char[] password = HexFormat.of().formatHex(Certificates.randomBytes(16)).toCharArray();
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("host", hostKey, password, new Certificate[] {host, ca});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
            kmf.init(store, password);
            return kmf;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a key manager for the host identity", e);
        }
    }

    /** Trust managers that trust the cluster CA and nothing else (no system roots). */
    public TrustManagerFactory trustManagerFactory() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("cluster-ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(store);
            return tmf;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a trust manager for the cluster CA", e);
        }
    }

    /**
     * A TLS context for talking to other hosts of the cluster: TLS 1.3 only, this host's identity, trusting only
     * the cluster CA. Every socket, server socket and engine it creates is already restricted as by
     * {@link #configureServer}; a caller that replaces their {@link SSLParameters} must apply it again.
     *
     * <p>One context per keys object, made on first use: its session cache lets a second connection to the same
     * agent resume the TLS session (no certificate chain to verify, no signature), which keeps the handshake of a
     * migration's later calls short.
     */
    public synchronized SSLContext tlsContext() {
        if (tls == null) {
            tls = ClusterTls.create(keyManagerFactory().getKeyManagers(), trustManagerFactory().getTrustManagers());
        }
        return tls;
    }

    /**
     * Restricts {@code parameters} to TLS 1.3 and makes a server require the client's certificate
     * ({@link SSLParameters#setNeedClientAuth}(true); ignored in client mode), and returns them. Endpoint
     * identification is left off on purpose: peers are authenticated by the cluster CA, not by host name.
     */
    public static SSLParameters configureServer(SSLParameters parameters) {
        return ClusterTls.restrict(parameters);
    }

    /** The cluster host name (certificate CN) of the peer of an established session. */
    public static String peerHostName(SSLSession session) throws SSLPeerUnverifiedException {
        return Certificates.commonName((X509Certificate) session.getPeerCertificates()[0]);
    }

    /** {@code SHA256:} and the colon-separated hex digest of the certificate's DER encoding. */
    public static String fingerprint(X509Certificate cert) {
        return Certificates.fingerprint(cert);
    }

    @Override
    public String toString() {
        return "cluster keys of " + hostName() + " in " + dir;
    }

    private static Identity newHostIdentity(Identity ca, String hostName, Instant now) {
        Instant notAfter = now.plus(Certificates.HOST_VALIDITY);
        Instant caNotAfter = ca.cert().getNotAfter().toInstant();
        return Certificates.newHost(ca, hostName, now.minus(Certificates.BACKDATE),
                notAfter.isAfter(caNotAfter) ? caNotAfter : notAfter);
    }

    private static void checkValidNow(X509Certificate cert, String where, String what) {
        try {
            cert.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new KeysException(Reason.EXPIRED, where + ": " + what + " expired on "
                    + cert.getNotAfter().toInstant(), e);
        } catch (CertificateNotYetValidException e) {
            throw new KeysException(Reason.EXPIRED, where + ": " + what + " is not valid before "
                    + cert.getNotBefore().toInstant() + " (is this host's clock right?)", e);
        }
    }

    private static String subject(X509Certificate cert) {
        return cert.getSubjectX500Principal().getName();
    }
}
