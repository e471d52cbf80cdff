package dev.baton.ckpt.keys;

import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.security.auth.x500.X500Principal;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Ed25519 certificates of a cluster: the CA and host identities. Bouncy Castle only builds them; keys, signatures
 * and parsing are the JDK's, so the objects work as they are in the JDK's TLS.
 */
final class Certificates {
    static final Duration CA_VALIDITY = Duration.ofDays(3653);
    static final Duration HOST_VALIDITY = Duration.ofDays(365);
    /** Hosts' clocks differ a little; a certificate made now must already be valid on a host whose clock is late. */
    static final Duration BACKDATE = Duration.ofHours(1);

    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A private key with its certificate. */
    record Identity(PrivateKey key, X509Certificate cert) {}

    private Certificates() {}

    static Identity newCa(Instant now) {
        KeyPair pair = newKeyPair();
        // A random id in the name: two clusters' CAs never share a subject, so errors name the right one.
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "Baton")
                .addRDN(BCStyle.CN, "Baton cluster CA " + HexFormat.of().formatHex(randomBytes(4)))
                .build();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(CA_VALIDITY)), subject, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            ext.createSubjectKeyIdentifier(pair.getPublic()));
            return new Identity(pair.getPrivate(), sign(b, pair.getPrivate()));
        } catch (CertIOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot build the cluster CA certificate", e);
        }
    }

    /**
     * A host identity signed by {@code ca}: CN and SAN {@code hostName}, plus localhost, 127.0.0.1 and ::1 (an
     * agent reached over loopback); client and server authentication.
     */
    static Identity newHost(Identity ca, String hostName, Instant notBefore, Instant notAfter) {
        checkHostName(hostName);
        KeyPair pair = newKeyPair();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "Baton")
                .addRDN(BCStyle.CN, hostName)
                .build();
        List<GeneralName> names = new ArrayList<>();
        names.add(generalName(hostName));
        for (String n : List.of("localhost", "127.0.0.1", "::1")) {
            if (!n.equalsIgnoreCase(hostName)) names.add(generalName(n));
        }
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.cert(), serial(),
                    Date.from(notBefore), Date.from(notAfter), new X500Principal(subject.getEncoded()),
                    pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(names.toArray(GeneralName[]::new)))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            ext.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            ext.createAuthorityKeyIdentifier(ca.cert()));
            return new Identity(pair.getPrivate(), sign(b, ca.key()));
        } catch (CertIOException | NoSuchAlgorithmException | CertificateException e) {
            throw new IllegalStateException("cannot build the host certificate for " + hostName, e);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot encode the host name " + hostName, e);
        }
    }

    static void checkHostName(String hostName) {
        if (hostName == null || !(HOST_NAME.matcher(hostName).matches() || isIpLiteral(hostName))) {
            throw new KeysException(KeysException.Reason.INVALID_HOST_NAME, "invalid host name '" + hostName
                    + "': expected a DNS name (letters, digits, '.', '-', '_') or an IP address");
        }
    }

    /** Whether {@code cert} carries a valid signature by {@code ca}'s key and names it as issuer. */
    static boolean signedBy(X509Certificate cert, X509Certificate ca) {
        if (!cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) return false;
        try {
            cert.verify(ca.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Whether {@code key} is the private half of {@code cert}'s public key (a test signature verifies). */
    static boolean keyMatches(PrivateKey key, X509Certificate cert) {
        byte[] probe = "baton key match probe".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance("Ed25519");
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** {@code SHA256:} and the hex SHA-256 of the DER encoding, as {@code openssl x509 -fingerprint} shows it. */
    static String fingerprint(X509Certificate cert) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
            return "SHA256:" + HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot fingerprint a certificate", e);
        }
    }

    /** The CN of the subject, or the whole subject when it has none. */
    static String commonName(X509Certificate cert) {
        X500Name name = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
        RDN[] cn = name.getRDNs(BCStyle.CN);
        return cn.length == 0 ? name.toString() : IETFUtils.valueToString(cn[0].getFirst().getValue());
    }

    static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer) {
        try {
            return new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder("Ed25519").build(signer)));
        } catch (OperatorCreationException | CertificateException e) {
            throw new IllegalStateException("cannot sign a certificate with Ed25519", e);
        }
    }

    private static KeyPair newKeyPair() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no Ed25519", e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(1, randomBytes(16));
    }

    private static GeneralName generalName(String name) {
        return isIpLiteral(name) ? new GeneralName(GeneralName.iPAddress, name)
                : new GeneralName(GeneralName.dNSName, name);
    }

    private static boolean isIpLiteral(String s) {
        try {
            InetAddress.ofLiteral(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
