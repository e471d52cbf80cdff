package dev.baton.cli;

import dev.baton.ckpt.keys.ClusterKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeysCommandTest {
    @TempDir
    Path tmp;

    @Test
    void keysInitCreatesAClusterAndPrintsWhatItCreatedWithTheFingerprints() {
        Path dir = tmp.resolve("keys");
        Cli r = Cli.run("keys", "init", "--dir", dir.toString(), "--host", "host-a");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());

        ClusterKeys keys = ClusterKeys.load(dir);
        assertEquals("host-a", keys.hostName());
        assertTrue(keys.canIssue());
        assertTrue(r.out().startsWith("Created a new Baton cluster in " + dir + ":\n"), r.out());
        assertTrue(r.out().contains(ClusterKeys.fingerprint(keys.caCertificate())), r.out());
        assertTrue(r.out().contains(ClusterKeys.fingerprint(keys.hostCertificate())), r.out());
        assertTrue(r.out().contains("bundle key   id " + keys.bundleKeyId()), r.out());
        assertTrue(r.out().endsWith("bundle key   id " + keys.bundleKeyId() + "\n"
                + "Keep ca.key on this host only. Give another host its identity with\n"
                + "  baton keys issue --name HOST --out DIR\n"
                + "and copy DIR to that host as its key directory.\n"), r.out());
    }

    @Test
    void keysInitWithoutArgumentsUsesBatonHomeAndTheMachineHostName() throws Exception {
        // A child JVM: BATON_HOME is read from the environment, which this JVM cannot change.
        Path home = tmp.resolve("baton-home");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Baton.class.getName(), "keys", "init")
                .redirectErrorStream(true);
        pb.environment().put("BATON_HOME", home.toString());
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);

        ClusterKeys keys = ClusterKeys.load(home.resolve("keys"));
        assertEquals(KeysCommand.machineHostName(), keys.hostName());
        assertTrue(output.startsWith("Created a new Baton cluster in " + home.resolve("keys") + ":"), output);
    }

    @Test
    void keysInitOverExistingKeysFailsWithOneLineAndChangesNothing() throws Exception {
        Path dir = tmp.resolve("keys");
        assertEquals(0, Cli.run("keys", "init", "--dir", dir.toString(), "--host", "host-a").exitCode());
        String ca = Files.readString(dir.resolve("ca.crt"));

        Cli r = Cli.run("keys", "init", "--dir", dir.toString(), "--host", "host-a");
        assertEquals(1, r.exitCode());
        assertEquals("", r.out());
        assertEquals(List.of("baton: cannot create cluster keys: " + dir + " already holds cluster keys (bundle.key, "
                + "ca.crt, ca.key, host.crt, host.key); refusing to overwrite them (remove the directory to start a "
                + "new cluster)"), r.err().lines().toList());
        assertEquals(ca, Files.readString(dir.resolve("ca.crt")));
    }

    @Test
    void keysIssueWritesAnotherHostsIdentityAndShowDescribesIt() {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        Cli.run("keys", "init", "--dir", a.toString(), "--host", "host-a");

        Cli issued = Cli.run("keys", "issue", "--name", "host-b", "--out", b.toString(), "--dir", a.toString());
        assertEquals(0, issued.exitCode(), issued.err());
        assertTrue(issued.out().startsWith("Issued the identity of host-b in " + b + ":\n"), issued.out());
        assertTrue(issued.out().endsWith("\nCopy " + b + " to host-b as its key directory ($BATON_HOME/keys), "
                + "keeping its mode 0700.\n"), issued.out());
        assertFalse(Files.exists(b.resolve("ca.key")));

        Cli shown = Cli.run("keys", "show", "--dir", b.toString());
        assertEquals(0, shown.exitCode(), shown.err());
        ClusterKeys keysA = ClusterKeys.load(a);
        ClusterKeys keysB = ClusterKeys.load(b);
        assertTrue(shown.out().startsWith("Cluster keys of host-b in " + b + ":\n"), shown.out());
        assertTrue(shown.out().contains(ClusterKeys.fingerprint(keysA.caCertificate())), "same CA: " + shown.out());
        assertTrue(shown.out().contains(ClusterKeys.fingerprint(keysB.hostCertificate())), shown.out());
        assertTrue(shown.out().contains("bundle key   id " + keysA.bundleKeyId()), "same bundle key: " + shown.out());
        assertFalse(shown.out().contains("this host issues identities"), shown.out());
    }

    @Test
    void keysIssueWithoutTheCaKeyFailsWithOneLine() {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        Cli.run("keys", "init", "--dir", a.toString(), "--host", "host-a");
        Cli.run("keys", "issue", "--name", "host-b", "--out", b.toString(), "--dir", a.toString());

        Cli r = Cli.run("keys", "issue", "--name", "host-c", "--out", tmp.resolve("c").toString(), "--dir", b.toString());
        assertEquals(1, r.exitCode());
        assertEquals(List.of("baton: cannot issue an identity for host-c: " + b.resolve("ca.key") + " is missing: "
                + "identities are issued on the host that ran 'baton keys init'"), r.err().lines().toList());
    }

    @Test
    void keysShowOfADirectoryWithoutKeysFailsWithOneLine() {
        Path dir = tmp.resolve("none");
        Cli r = Cli.run("keys", "show", "--dir", dir.toString());
        assertEquals(1, r.exitCode());
        assertEquals(List.of("baton: cannot load cluster keys: " + dir.resolve("ca.crt") + " is missing (no key "
                + "directory " + dir + "; run 'baton keys init')"), r.err().lines().toList());
    }

    @Test
    void keysIssueWithoutANameIsAUsageError() {
        Cli r = Cli.run("keys", "issue", "--out", tmp.resolve("x").toString());
        assertEquals(2, r.exitCode());
        assertEquals("baton: Missing required option: '--name=HOST'", r.err().lines().findFirst().orElseThrow());
    }
}
