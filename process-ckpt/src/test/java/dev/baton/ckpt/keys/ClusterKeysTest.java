package dev.baton.ckpt.keys;

import dev.baton.ckpt.keys.Certificates.Identity;
import dev.baton.ckpt.keys.KeysException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterKeysTest {
    @TempDir
    Path tmp;

    @Test
    void initCreatesTheCaAHostIdentityAndTheBundleSecretWithPrivateFilesOnlyForTheOwner() throws Exception {
        Path dir = tmp.resolve("keys");
        ClusterKeys keys = ClusterKeys.init(dir, "host-a.example");

        assertEquals(Set.of("ca.key", "ca.crt", "host.key", "host.crt", "bundle.key"), names(dir));
        assertEquals("rwx------", mode(dir));
        for (String secret : List.of("ca.key", "host.key", "bundle.key")) assertEquals("rw-------", mode(dir.resolve(secret)), secret);
        for (String pub : List.of("ca.crt", "host.crt")) assertEquals("rw-r--r--", mode(dir.resolve(pub)), pub);
        assertTrue(Files.readString(dir.resolve("host.key")).startsWith("-----BEGIN PRIVATE KEY-----"));
        assertTrue(Files.readString(dir.resolve("bundle.key")).startsWith("-----BEGIN BATON BUNDLE KEY-----"));

        X509Certificate ca = keys.caCertificate();
        X509Certificate host = keys.hostCertificate();
        assertEquals("EdDSA", ca.getPublicKey().getAlgorithm()); // the JDK's name for Ed25519 keys
        assertEquals("Ed25519", ca.getSigAlgName());
        assertEquals("Ed25519", host.getSigAlgName());
        assertEquals("EdDSA", host.getPublicKey().getAlgorithm());
        assertEquals(0, ca.getBasicConstraints(), "a CA that cannot certify other CAs");
        assertEquals(-1, host.getBasicConstraints(), "a host is not a CA");
        assertEquals("host-a.example", keys.hostName());
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), host.getExtendedKeyUsage()); // server, client
        assertEquals(List.of("host-a.example", "localhost", "127.0.0.1", "0:0:0:0:0:0:0:1"),
                host.getSubjectAlternativeNames().stream().map(n -> (String) n.get(1)).toList());
        assertDays(3653, ca);
        assertDays(365, host);
        assertTrue(keys.canIssue());
        assertEquals(32, keys.bundleKey().getEncoded().length);
        assertEquals(16, keys.bundleKeyId().length());
        assertEquals(keys.hostName(), keys.checkMember(host));
    }

    @Test
    void twoClustersHaveDifferentCasAndBundleSecrets() {
        ClusterKeys a = ClusterKeys.init(tmp.resolve("a"), "h");
        ClusterKeys b = ClusterKeys.init(tmp.resolve("b"), "h");
        assertFalse(a.caCertificate().getSubjectX500Principal().equals(b.caCertificate().getSubjectX500Principal()));
        assertFalse(a.bundleKeyId().equals(b.bundleKeyId()));
    }

    @Test
    void initRefusesToOverwriteExistingKeysAndLeavesThemAsTheyWere() throws Exception {
        Path dir = tmp.resolve("keys");
        ClusterKeys.init(dir, "host-a");
        String caBefore = Files.readString(dir.resolve("ca.crt"));

        KeysException e = assertThrows(KeysException.class, () -> ClusterKeys.init(dir, "host-a"));
        assertEquals(Reason.EXISTS, e.reason());
        assertEquals(dir + " already holds cluster keys (bundle.key, ca.crt, ca.key, host.crt, host.key); refusing "
                + "to overwrite them (remove the directory to start a new cluster)", e.getMessage());
        assertEquals(caBefore, Files.readString(dir.resolve("ca.crt")));
    }

    @Test
    void initRefusesADirectoryThatHoldsOtherFiles() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("keys"));
        Files.writeString(dir.resolve("notes.txt"), "mine");
        KeysException e = assertThrows(KeysException.class, () -> ClusterKeys.init(dir, "host-a"));
        assertEquals(Reason.EXISTS, e.reason());
        assertEquals(dir + " is not empty (notes.txt); cluster keys go in a directory of their own", e.getMessage());
        assertEquals(Set.of("notes.txt"), names(dir), "nothing written, nothing removed");
    }

    @Test
    void initRefusesAHostNameThatCannotGoIntoACertificate() {
        for (String bad : List.of("", "a b", "../x", "host/1", "-lead")) {
            KeysException e = assertThrows(KeysException.class, () -> ClusterKeys.init(tmp.resolve("k"), bad), bad);
            assertEquals(Reason.INVALID_HOST_NAME, e.reason());
            assertEquals("invalid host name '" + bad + "': expected a DNS name (letters, digits, '.', '-', '_') or "
                    + "an IP address", e.getMessage());
        }
        assertFalse(Files.exists(tmp.resolve("k")));
    }

    @Test
    void anIpAddressAsHostNameGoesIntoTheCertificateAsAnIpAddress() throws Exception {
        ClusterKeys keys = ClusterKeys.init(tmp.resolve("k"), "198.18.0.7");
        assertTrue(keys.hostCertificate().getSubjectAlternativeNames().contains(List.of(7, "198.18.0.7")));
    }

    @Test
    void issueGivesAnotherHostAnIdentityFromTheSameCaButNotTheCaKey() throws Exception {
        ClusterKeys a = ClusterKeys.init(tmp.resolve("a"), "host-a");
        ClusterKeys b = ClusterKeys.issue(tmp.resolve("a"), "host-b", tmp.resolve("b"));

        assertEquals(Set.of("ca.crt", "host.key", "host.crt", "bundle.key"), names(tmp.resolve("b")));
        assertEquals("rwx------", mode(tmp.resolve("b")));
        assertEquals("host-b", b.hostName());
        assertFalse(b.canIssue());
        assertEquals(a.caCertificate(), b.caCertificate());
        assertArrayEquals(a.bundleKey().getEncoded(), b.bundleKey().getEncoded());
        assertEquals("host-b", a.checkMember(b.hostCertificate()));
        assertEquals("host-a", b.checkMember(a.hostCertificate()));
        assertEquals(b.hostCertificate(), ClusterKeys.load(tmp.resolve("b")).hostCertificate());
    }

    @Test
    void onlyTheHostWithTheCaKeyCanIssue() {
        ClusterKeys.init(tmp.resolve("a"), "host-a");
        ClusterKeys.issue(tmp.resolve("a"), "host-b", tmp.resolve("b"));
        KeysException e = assertThrows(KeysException.class,
                () -> ClusterKeys.issue(tmp.resolve("b"), "host-c", tmp.resolve("c")));
        assertEquals(Reason.MISSING, e.reason());
        assertEquals(tmp.resolve("b/ca.key") + " is missing: identities are issued on the host that ran "
                + "'baton keys init'", e.getMessage());
        assertFalse(Files.exists(tmp.resolve("c")));
    }

    @Test
    void loadNamesTheMissingFile() throws Exception {
        Path dir = tmp.resolve("keys");
        ClusterKeys.init(dir, "host-a");
        Files.delete(dir.resolve("bundle.key"));
        KeysException e = assertThrows(KeysException.class, () -> ClusterKeys.load(dir));
        assertEquals(Reason.MISSING, e.reason());
        assertEquals(dir.resolve("bundle.key") + " is missing", e.getMessage());
    }

    @Test
    void loadOfADirectoryThatDoesNotExistSaysToRunInit() {
        Path dir = tmp.resolve("nowhere");
        KeysException e = assertThrows(KeysException.class, () -> ClusterKeys.load(dir));
        assertEquals(Reason.MISSING, e.reason());
        assertEquals(dir.resolve("ca.crt") + " is missing (no key directory " + dir + "; run 'baton keys init')",
                e.getMessage());
    }

    @Test
    void loadRefusesAPrivateFileThatOthersCanRead() throws Exception {
        Path dir = tmp.resolve("keys");
        ClusterKeys.init(dir, "host-a");
        Files.setPosixFilePermissions(dir.resolve("host.key"), PosixFilePermissions.fromString("rw-r--r--"));
        KeysException e = assertThrows(KeysException.class, () -> ClusterKeys.load(dir));
        assertEquals(Reason.INSECURE_PERMISSIONS, e.reason());
        assertEquals(dir.resolve("host.key") + " is accessible by group or others (mode rw-r--r--); it must be "
                + "private: chmod 600 " + dir.resolve("host.key"), e.getMessage());
    }

    @Test
    void loadRefusesAnExpiredHostCertificate() throws Exception {
        Path dir = tmp.resolve("keys");
        ClusterKeys.init(dir, "host-a");
        Instant past = Instant.parse("2020-01-01T00:00:00Z");
        replaceHostIdentity(dir, Certificates.newHost(ca(dir), "host-a", past, past.plus(Duration.ofDays(1))));

        KeysException e = assertThrows(KeysException.class, () -> ClusterKeys.load(dir));
        assertEquals(Reason.EXPIRED, e.reason());
        assertEquals(dir.resolve("host.crt") + ": this host's identity expired on 2020-01-02T00:00:00Z",
                e.getMessage());
    }

    @Test
    void loadRefusesAHostCertificateNotYetValidAndAsksAboutTheClock() throws Exception {
        Path dir = tmp.resolve("keys");
        ClusterKeys.init(dir, "host-a");
        Instant future = Instant.now().plus(Duration.ofDays(2)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        replaceHostIdentity(dir, Certificates.newHost(ca(dir), "host-a", future, future.plus(Duration.ofDays(1))));

        KeysException e = assertThrows(KeysException.class, () -> ClusterKeys.load(dir));
        assertEquals(Reason.EXPIRED, e.reason());
        assertEquals(dir.resolve("host.crt") + ": this host's identity is not valid before " + future
                + " (is this host's clock right?)", e.getMessage());
    }

    @Test
    void loadRefusesACaKeyThatIsNotTheKeyOfTheCaCertificate() throws Exception {
        Path dir = tmp.resolve("keys");
        ClusterKeys.init(dir, "host-a");
        ClusterKeys.init(tmp.resolve("other"), "host-a");
        Files.copy(tmp.resolve("other/ca.key"), dir.resolve("ca.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        KeysException e = assertThrows(KeysException.class, () -> ClusterKeys.load(dir));
        assertEquals(Reason.KEY_MISMATCH, e.reason());
        assertEquals(dir.resolve("ca.key") + " is not the key of " + dir.resolve("ca.crt"), e.getMessage());
    }

    @Test
    void loadRefusesABundleSecretOfTheWrongLength() throws Exception {
        Path dir = tmp.resolve("keys");
        ClusterKeys.init(dir, "host-a");
        Files.writeString(dir.resolve("bundle.key"), KeyFiles.bundleKey(new byte[16]).pem());

        KeysException e = assertThrows(KeysException.class, () -> ClusterKeys.load(dir));
        assertEquals(Reason.MALFORMED, e.reason());
        assertEquals(dir.resolve("bundle.key") + " holds 16 bytes, expected 32", e.getMessage());
    }

    @Test
    void loadRefusesAHostCertificateFromAnotherCa() throws Exception {
        Path dir = tmp.resolve("keys");
        ClusterKeys.init(dir, "host-a");
        ClusterKeys.init(tmp.resolve("other"), "host-a");
        Files.copy(tmp.resolve("other/host.crt"), dir.resolve("host.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(tmp.resolve("other/host.key"), dir.resolve("host.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        KeysException e = assertThrows(KeysException.class, () -> ClusterKeys.load(dir));
        assertEquals(Reason.NOT_FROM_CA, e.reason());
        assertTrue(e.getMessage().startsWith(dir.resolve("host.crt") + " (CN=host-a,O=Baton, issued by "
                + "CN=Baton cluster CA "), e.getMessage());
        assertTrue(e.getMessage().contains(") was not issued by the cluster CA in " + dir.resolve("ca.crt")),
                e.getMessage());
    }

    @Test
    void loadRefusesAHostKeyThatIsNotTheKeyOfTheCertificate() throws Exception {
        Path dir = tmp.resolve("keys");
        ClusterKeys.init(dir, "host-a");
        ClusterKeys.init(tmp.resolve("other"), "host-a");
        Files.copy(tmp.resolve("other/host.key"), dir.resolve("host.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        KeysException e = assertThrows(KeysException.class, () -> ClusterKeys.load(dir));
        assertEquals(Reason.KEY_MISMATCH, e.reason());
        assertEquals(dir.resolve("host.key") + " is not the key of " + dir.resolve("host.crt"), e.getMessage());
    }

    @Test
    void loadRefusesAFileThatIsNotPem() throws Exception {
        Path dir = tmp.resolve("keys");
        ClusterKeys.init(dir, "host-a");
        Files.writeString(dir.resolve("ca.crt"), "hello");
        KeysException e = assertThrows(KeysException.class, () -> ClusterKeys.load(dir));
        assertEquals(Reason.MALFORMED, e.reason());
        assertEquals(dir.resolve("ca.crt") + " does not hold a PEM 'CERTIFICATE'", e.getMessage());
    }

    @Test
    void aCertificateOfAnotherClusterIsNotAMember() {
        ClusterKeys a = ClusterKeys.init(tmp.resolve("a"), "host-a");
        ClusterKeys other = ClusterKeys.init(tmp.resolve("o"), "host-a");
        KeysException e = assertThrows(KeysException.class, () -> a.checkMember(other.hostCertificate()));
        assertEquals(Reason.NOT_FROM_CA, e.reason());
        assertEquals("certificate CN=host-a,O=Baton (issued by "
                + other.caCertificate().getSubjectX500Principal().getName() + ") was not issued by this cluster's CA ("
                + a.caCertificate().getSubjectX500Principal().getName() + ")", e.getMessage());
    }

    @Test
    void theDefaultDirectoryIsKeysUnderBatonHome() {
        String home = System.getenv("BATON_HOME");
        Path expected = Path.of(home == null || home.isBlank() ? "/var/lib/baton" : home, "keys");
        assertEquals(expected, ClusterKeys.defaultDir());
    }

    static Identity ca(Path dir) {
        return new Identity(KeyFiles.readPrivateKey(dir, KeyFiles.CA_KEY), KeyFiles.readCertificate(dir, KeyFiles.CA_CERT));
    }

    static void replaceHostIdentity(Path dir, Identity host) throws Exception {
        Files.writeString(dir.resolve("host.crt"), KeyFiles.certificate("host.crt", host.cert()).pem());
        Files.writeString(dir.resolve("host.key"), KeyFiles.privateKey("host.key", host.key()).pem());
    }

    private static void assertDays(long days, X509Certificate cert) {
        Duration validity = Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant());
        assertEquals(Duration.ofDays(days).plus(Certificates.BACKDATE), validity);
    }

    private static Set<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return Set.copyOf(s.map(p -> p.getFileName().toString()).toList());
        }
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
