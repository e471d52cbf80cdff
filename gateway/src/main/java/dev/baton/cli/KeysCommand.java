package dev.baton.cli;

import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.keys.KeysException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * {@code baton keys init|issue|show}: the cluster's key material (CA, host identities, bundle secret), kept in
 * {@code $BATON_HOME/keys} unless {@code --dir} says otherwise.
 */
@Command(name = "keys", description = "Create and inspect the cluster's keys: CA, host identities, bundle secret.",
        subcommands = {KeysCommand.Init.class, KeysCommand.Issue.class, KeysCommand.Show.class})
final class KeysCommand {
    private static final String DIR_HELP = "Key directory (default: $BATON_HOME/keys, BATON_HOME defaulting to "
            + "/var/lib/baton).";

    @Command(name = "init", description = "Create a new cluster: its CA, this host's identity and the bundle "
            + "secret. Never overwrites existing keys.")
    static final class Init implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Option(names = "--dir", paramLabel = "DIR", description = DIR_HELP)
        private Path dir;

        @Option(names = "--host", paramLabel = "NAME", description = "This host's name in the cluster "
                + "(default: the machine's host name).")
        private String host;

        @Override
        public Integer call() {
            Path target = orDefault(dir);
            String name = host != null ? host : machineHostName();
            ClusterKeys keys = keys("cannot create cluster keys", () -> ClusterKeys.init(target, name));
            report(spec, "Created a new Baton cluster in " + target, keys,
                    "Keep ca.key on this host only. Give another host its identity with",
                    "  baton keys issue --name HOST --out DIR",
                    "and copy DIR to that host as its key directory.");
            return 0;
        }
    }

    @Command(name = "issue", description = "Issue another host's identity from this cluster's CA, into a new "
            + "directory to copy to that host (without the CA key).")
    static final class Issue implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Option(names = "--name", required = true, paramLabel = "HOST", description = "The other host's name.")
        private String name;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write its keys "
                + "(absent or empty).")
        private Path out;

        @Option(names = "--dir", paramLabel = "DIR", description = "This host's key directory, holding the CA key "
                + "(default: $BATON_HOME/keys).")
        private Path dir;

        @Override
        public Integer call() {
            ClusterKeys keys = keys("cannot issue an identity for " + name,
                    () -> ClusterKeys.issue(orDefault(dir), name, out));
            report(spec, "Issued the identity of " + name + " in " + out, keys,
                    "Copy " + out + " to " + name + " as its key directory ($BATON_HOME/keys), keeping its mode 0700.");
            return 0;
        }
    }

    @Command(name = "show", description = "Show this host's keys: CA, identity, bundle secret id, fingerprints.")
    static final class Show implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Option(names = "--dir", paramLabel = "DIR", description = DIR_HELP)
        private Path dir;

        @Override
        public Integer call() {
            Path target = orDefault(dir);
            ClusterKeys keys = keys("cannot load cluster keys", () -> ClusterKeys.load(target));
            report(spec, "Cluster keys of " + keys.hostName() + " in " + target, keys);
            return 0;
        }
    }

    private static Path orDefault(Path dir) {
        return dir != null ? dir : ClusterKeys.defaultDir();
    }

    /** Runs a key operation; its failure is the command's, in one line led by {@code failing}. */
    private static ClusterKeys keys(String failing, Supplier<ClusterKeys> operation) {
        try {
            return operation.get();
        } catch (KeysException e) {
            throw new CommandFailure(failing + ": " + e.getMessage(), e);
        }
    }

    /** {@code title:}, the keys as {@link #describe} shows them, then the advice, one line each. */
    private static void report(CommandSpec spec, String title, ClusterKeys keys, String... advice) {
        PrintWriter out = spec.commandLine().getOut();
        out.println(title + ":");
        describe(out, keys);
        for (String line : advice) out.println(line);
        out.flush();
    }

    private static void describe(PrintWriter out, ClusterKeys keys) {
        X509Certificate ca = keys.caCertificate();
        X509Certificate host = keys.hostCertificate();
        out.printf("  cluster CA   %s, valid until %s%s%n", ca.getSubjectX500Principal().getName(),
                ca.getNotAfter().toInstant(), keys.canIssue() ? " (ca.key here: this host issues identities)" : "");
        out.printf("               %s%n", ClusterKeys.fingerprint(ca));
        out.printf("  host         %s, valid until %s%n", keys.hostName(), host.getNotAfter().toInstant());
        out.printf("               %s%n", ClusterKeys.fingerprint(host));
        out.printf("  bundle key   id %s%n", keys.bundleKeyId());
    }

    /** The kernel's host name (no DNS lookup), else what the JDK resolves. */
    static String machineHostName() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (!name.isEmpty()) return name;
        } catch (IOException ignored) {
            // not Linux, or /proc not mounted
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            throw new CommandFailure("cannot tell this machine's host name; pass --host NAME", e);
        }
    }
}
