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
            Path target = dir != null ? dir : ClusterKeys.defaultDir();
            String name = host != null ? host : machineHostName();
            ClusterKeys keys;
            try {
                keys = ClusterKeys.init(target, name);
            } catch (KeysException e) {
                throw new CommandFailure("cannot create cluster keys: " + e.getMessage(), e);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf("Created a new Baton cluster in %s:%n", target);
            describe(out, keys);
            out.printf("Keep ca.key on this host only. Give another host its identity with%n"
                    + "  baton keys issue --name HOST --out DIR%n"
                    + "and copy DIR to that host as its key directory.%n");
            out.flush();
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
            Path caDir = dir != null ? dir : ClusterKeys.defaultDir();
            ClusterKeys keys;
            try {
                keys = ClusterKeys.issue(caDir, name, out);
            } catch (KeysException e) {
                throw new CommandFailure("cannot issue an identity for " + name + ": " + e.getMessage(), e);
            }
            PrintWriter pw = spec.commandLine().getOut();
            pw.printf("Issued the identity of %s in %s:%n", name, out);
            describe(pw, keys);
            pw.printf("Copy %s to %s as its key directory ($BATON_HOME/keys), keeping its mode 0700.%n", out, name);
            pw.flush();
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
            Path target = dir != null ? dir : ClusterKeys.defaultDir();
            ClusterKeys keys;
            try {
                keys = ClusterKeys.load(target);
            } catch (KeysException e) {
                throw new CommandFailure("cannot load cluster keys: " + e.getMessage(), e);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf("Cluster keys of %s in %s:%n", keys.hostName(), target);
            describe(out, keys);
            out.flush();
            return 0;
        }
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
