package dev.baton.ckpt.keys;

import dev.baton.ckpt.keys.KeysException.Reason;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The files of a key directory: PEM, private ones 0600 in a 0700 directory. Written with {@code CREATE_NEW} so
 * nothing is ever overwritten; a failed write removes what it created.
 */
final class KeyFiles {
    static final String CA_KEY = "ca.key";
    static final String CA_CERT = "ca.crt";
    static final String HOST_KEY = "host.key";
    static final String HOST_CERT = "host.crt";
    static final String BUNDLE_KEY = "bundle.key";
    static final List<String> ALL = List.of(CA_KEY, CA_CERT, HOST_KEY, HOST_CERT, BUNDLE_KEY);

    static final int BUNDLE_KEY_BYTES = 32;
    private static final String BUNDLE_KEY_PEM = "BATON BUNDLE KEY";
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");

    /** One file to write: its name, PEM text and whether it is secret. */
    record Entry(String name, String pem, boolean secret) {}

    private KeyFiles() {}

    static Entry privateKey(String name, PrivateKey key) {
        return new Entry(name, pem("PRIVATE KEY", key.getEncoded()), true);
    }

    static Entry certificate(String name, X509Certificate cert) {
        try {
            return new Entry(name, pem("CERTIFICATE", cert.getEncoded()), false);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encode a certificate", e);
        }
    }

    static Entry bundleKey(byte[] secret) {
        return new Entry(BUNDLE_KEY, pem(BUNDLE_KEY_PEM, secret), true);
    }

    /**
     * Makes {@code dir} (0700) when absent and writes the entries into it. The directory must be absent or empty:
     * key material lives in a directory of its own, and existing material is never overwritten.
     */
    static void writeAll(Path dir, List<Entry> entries) {
        List<Path> created = new ArrayList<>();
        try {
            if (Files.isDirectory(dir)) {
                List<String> present;
                try (Stream<Path> s = Files.list(dir)) {
                    present = s.map(p -> p.getFileName().toString()).sorted().toList();
                }
                if (present.stream().anyMatch(ALL::contains)) {
                    throw new KeysException(Reason.EXISTS, dir + " already holds cluster keys ("
                            + String.join(", ", present.stream().filter(ALL::contains).toList())
                            + "); refusing to overwrite them (remove the directory to start a new cluster)");
                }
                if (!present.isEmpty()) {
                    throw new KeysException(Reason.EXISTS, dir + " is not empty (" + String.join(", ", present)
                            + "); cluster keys go in a directory of their own");
                }
            } else {
                Files.createDirectories(dir);
            }
            if (isPosix(dir)) Files.setPosixFilePermissions(dir, DIR);
            for (Entry e : entries) {
                Path file = dir.resolve(e.name());
                if (isPosix(dir)) {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(e.secret() ? PRIVATE : PUBLIC));
                } else {
                    Files.createFile(file);
                }
                created.add(file);
                Files.writeString(file, e.pem(), StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
            }
        } catch (FileAlreadyExistsException e) {
            deleteQuietly(created);
            throw new KeysException(Reason.EXISTS, e.getFile() + " already exists; refusing to overwrite it", e);
        } catch (IOException e) {
            deleteQuietly(created);
            throw new KeysException(Reason.IO, "cannot write cluster keys to " + dir + ": " + e, e);
        } catch (RuntimeException e) {
            deleteQuietly(created);
            throw e;
        }
    }

    static PrivateKey readPrivateKey(Path dir, String name) {
        byte[] der = readPem(dir, name, "PRIVATE KEY", true);
        try {
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new KeysException(Reason.MALFORMED, dir.resolve(name) + " is not an Ed25519 private key: "
                    + e.getMessage(), e);
        }
    }

    static X509Certificate readCertificate(Path dir, String name) {
        byte[] der = readPem(dir, name, "CERTIFICATE", false);
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new KeysException(Reason.MALFORMED, dir.resolve(name) + " is not an X.509 certificate: "
                    + e.getMessage(), e);
        }
    }

    static byte[] readBundleKey(Path dir) {
        byte[] secret = readPem(dir, BUNDLE_KEY, BUNDLE_KEY_PEM, true);
        if (secret.length != BUNDLE_KEY_BYTES) {
            throw new KeysException(Reason.MALFORMED, dir.resolve(BUNDLE_KEY) + " holds " + secret.length
                    + " bytes, expected " + BUNDLE_KEY_BYTES);
        }
        return secret;
    }

    private static byte[] readPem(Path dir, String name, String type, boolean secret) {
        Path file = dir.resolve(name);
        String text;
        try {
            if (secret) checkPrivate(file);
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new KeysException(Reason.MISSING, file + " is missing" + (Files.isDirectory(dir) ? ""
                    : " (no key directory " + dir + "; run 'baton keys init')"), e);
        } catch (IOException e) {
            throw new KeysException(Reason.IO, "cannot read " + file + ": " + e, e);
        }
        PemObject pem;
        try (PemReader reader = new PemReader(new StringReader(text))) {
            pem = reader.readPemObject();
        } catch (IOException e) {
            throw new KeysException(Reason.MALFORMED, file + " is not valid PEM: " + e.getMessage(), e);
        }
        if (pem == null || !pem.getType().equals(type)) {
            throw new KeysException(Reason.MALFORMED, file + " does not hold a PEM '" + type + "'"
                    + (pem == null ? "" : " (found '" + pem.getType() + "')"));
        }
        return pem.getContent();
    }

    /** Like ssh with its keys: a secret that others can read is refused rather than used. */
    private static void checkPrivate(Path file) throws IOException {
        if (!isPosix(file.getParent())) return;
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        Set<PosixFilePermission> open = Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
        if (perms.stream().anyMatch(open::contains)) {
            throw new KeysException(Reason.INSECURE_PERMISSIONS, file + " is accessible by group or others (mode "
                    + PosixFilePermissions.toString(perms) + "); it must be private: chmod 600 " + file);
        }
    }

    private static boolean isPosix(Path p) {
        return Files.getFileAttributeView(p, PosixFileAttributeView.class) != null;
    }

    private static String pem(String type, byte[] content) {
        StringWriter text = new StringWriter();
        try (PemWriter w = new PemWriter(text)) {
            w.writeObject(new PemObject(type, content));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write PEM to a string", e);
        }
        return text.toString();
    }

    private static void deleteQuietly(List<Path> files) {
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException ignored) {
                // best effort: the error being reported matters more
            }
        }
    }
}
