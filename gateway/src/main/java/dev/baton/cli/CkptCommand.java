package dev.baton.cli;

import dev.baton.ckpt.CheckpointException;
import dev.baton.ckpt.Checkpointer;
import dev.baton.ckpt.Checkpointer.Dumped;
import dev.baton.ckpt.agent.RestoreReport;
import dev.baton.ckpt.agent.RestoreRequest;
import dev.baton.ckpt.bundle.Manifest;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code baton ckpt dump|restore|unlock}: whole-process checkpoint and restore through CRIU, as sealed bundles. */
@Command(name = "ckpt", description = "Checkpoint a workload into a sealed bundle, restore one (elsewhere).",
        subcommands = {CkptCommand.Dump.class, CkptCommand.Restore.class, CkptCommand.Resume.class,
                CkptCommand.Unlock.class})
final class CkptCommand {
    private CkptCommand() {
    }

    @Command(name = "dump", description = {
            "Dump a workload with its established TCP connections into an encrypted, signed bundle.",
            "The workload stops on this host; its connections stay held here by CRIU's lock until it is",
            "restored here, or until 'baton ckpt unlock NAME' once its peers follow it elsewhere."})
    static final class Dump implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @ArgGroup(exclusive = true, multiplicity = "1")
        private Which which;

        static final class Which {
            @Option(names = "--name", paramLabel = "NAME", description = "The workload (see 'baton ps').")
            String name;

            @Option(names = "--pid", paramLabel = "PID", description = "The root PID of a workload.")
            long pid;
        }

        @Option(names = "--out", required = true, paramLabel = "BUNDLE", description = "The bundle file to write.")
        private Path out;

        @Option(names = "--network-lock", paramLabel = "criu|skip", defaultValue = "criu",
                description = "criu (default): CRIU's nftables lock holds the connections; skip: the caller holds them.")
        private String networkLock;

        @Option(names = "--keys", paramLabel = "DIR", description = HostKeys.HELP)
        private Path keysDir;

        @Override
        public Integer call() throws IOException {
            Privileges.requireRoot("ckpt dump", "CRIU needs it");
            if (!networkLock.equals("criu") && !networkLock.equals("skip")) {
                throw new CommandFailure("--network-lock must be criu or skip, not " + networkLock);
            }
            if (Files.exists(out)) throw new CommandFailure(out + " exists already: choose another --out");
            Checkpointer ckpt = Checkpointer.standard(HostKeys.load(keysDir));
            String name = which.name != null ? ckpt.workloadRecords().get(which.name).name()
                    : byPid(ckpt.workloadRecords(), which.pid);
            PrintWriter err = spec.commandLine().getErr();
            err.printf("dumping %s…%n", name);
            LiveHooks progress = new LiveHooks(err, "local");
            Dumped dump = ckpt.checkpoint(name, networkLock.equals("skip"), progress);
            Path partial = out.resolveSibling(out.getFileName() + ".partial");
            long size;
            try (OutputStream file = Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW)) {
                size = ckpt.seal(dump, file, progress);
            } catch (IOException | CheckpointException e) {
                Files.deleteIfExists(partial);
                throw e instanceof CheckpointException c ? c : new CommandFailure("writing " + out + " failed: "
                        + e.getMessage() + "; the workload's images are kept in " + dump.images()
                        + " (restore it with: baton ckpt restore --in " + dump.images() + ")", e);
            }
            try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(partial, out, StandardCopyOption.ATOMIC_MOVE);
            ckpt.release(dump);

            PrintWriter o = spec.commandLine().getOut();
            Manifest m = dump.manifest();
            o.printf("%s (pid %d) dumped into %s: %s, %d TCP sockets%n", name, dump.workload().rootPid(), out,
                    LiveHooks.mib(size), m.sockets().size());
            for (Manifest.Socket s : m.sockets()) o.printf("  %-11s %s -> %s%n", s.state(), s.local(), s.remote());
            o.printf("phases: %s%n", LiveHooks.phases(dump.phasesMs()));
            if (dump.lockTable() != null) {
                o.printf("its connections are held here (nft table inet %s) until it is restored here, or until "
                        + "'baton ckpt unlock %s'%n", dump.lockTable(), name);
            }
            o.flush();
            return 0;
        }

        private static String byPid(Workloads workloads, long pid) {
            return workloads.findByPid(pid).map(Workload::name).orElseThrow(() -> new CommandFailure(
                    "PID " + pid + " is not the root of a running Baton workload (start programs to migrate with "
                            + "'baton run'; 'baton ps' lists them)"));
        }
    }

    @Command(name = "restore", description = {
            "Restore a workload from a bundle (verified completely first) or from a local images directory.",
            "--rewrite moves its sockets to another IP address, e.g. when restoring on another host."})
    static final class Restore implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Option(names = "--in", required = true, paramLabel = "BUNDLE|DIR",
                description = "A bundle file, or an images directory a failed dump kept.")
        private Path in;

        @Option(names = "--rewrite", paramLabel = "OLD=NEW", description = "Move sockets bound to OLD to NEW "
                + "(IP literals); repeatable.")
        private List<String> rewrite = List.of();

        @Option(names = "--netns", paramLabel = "NS", description = "Restore into this named network namespace.")
        private String netns;

        @Option(names = "--leave-stopped", description = "Leave it stopped (resume with 'baton ckpt resume NAME').")
        private boolean leaveStopped;

        @Option(names = "--peer", paramLabel = "PID", description = {"A peer process on this machine whose "
                + "connections to the workload follow it: re-pointed in place at the new address right before the",
                "restore, resumed right after (repeatable). Without it, peers must be re-pointed another way."})
        private List<Integer> peers = List.of();

        @Option(names = "--keys", paramLabel = "DIR", description = HostKeys.HELP)
        private Path keysDir;

        @Override
        public Integer call() throws IOException {
            Privileges.requireRoot("ckpt restore", "CRIU needs it");
            if (!Files.exists(in)) throw new CommandFailure("no such bundle or images directory: " + in);
            Checkpointer ckpt = Checkpointer.standard(HostKeys.load(keysDir));
            RestoreRequest request = new RestoreRequest(parse(rewrite), netns, leaveStopped);
            PrintWriter err = spec.commandLine().getErr();
            LiveHooks progress = new LiveHooks(err, "local");
            err.printf("restoring from %s…%n", in);
            RestoreReport r;
            FollowingPeers following = new FollowingPeers(peers, request.rewrite());
            try {
                if (Files.isDirectory(in)) {
                    if (!peers.isEmpty()) throw new CommandFailure("--peer needs a bundle (--in FILE)");
                    r = ckpt.restoreImages(in, request, progress);
                } else {
                    try (InputStream bundle = Files.newInputStream(in)) {
                        r = peers.isEmpty() ? ckpt.restore(request, bundle, progress)
                                : ckpt.restore(request, bundle, progress, following);
                    }
                }
            } catch (RuntimeException | IOException e) {
                following.undo();
                throw e;
            }
            following.resume();
            PrintWriter o = spec.commandLine().getOut();
            o.printf("%s restored as PID %d%s%s%s%n", r.workload(), r.pid(), netns == null ? "" : " in netns " + netns,
                    r.rewrittenSockets() > 0 ? ", " + r.rewrittenSockets() + " sockets moved to the new address" : "",
                    leaveStopped ? " (stopped)" : "");
            if (following.connections() > 0) {
                o.printf("%d peer connection(s) re-pointed in place at the new address%n", following.connections());
            }
            o.printf("phases: %s%n", LiveHooks.phases(r.phasesMs()));
            o.flush();
            return 0;
        }

        static Map<String, String> parse(List<String> rewrite) {
            Map<String, String> out = new LinkedHashMap<>();
            for (String r : rewrite) {
                int eq = r.indexOf('=');
                if (eq <= 0 || eq == r.length() - 1) throw new CommandFailure("--rewrite wants OLD=NEW, not " + r);
                out.put(r.substring(0, eq), r.substring(eq + 1));
            }
            return out;
        }
    }

    @Command(name = "resume", description = "Let a workload restored with --leave-stopped run (SIGCONT).")
    static final class Resume implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @picocli.CommandLine.Parameters(paramLabel = "NAME", description = "The workload.")
        private String name;

        @Override
        public Integer call() {
            Privileges.requireRoot("ckpt resume", "it signals the workload's processes");
            Workloads.standard().resume(name);
            spec.commandLine().getOut().printf("%s resumed%n", name);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "unlock", description = "Release the connections a dump of NAME held on this host (CRIU's "
            + "lock), once the workload runs elsewhere and its peers follow it.")
    static final class Unlock implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @picocli.CommandLine.Parameters(paramLabel = "NAME", description = "The workload.")
        private String name;

        @Override
        public Integer call() {
            Privileges.requireRoot("ckpt unlock", "it edits nftables");
            PrintWriter o = spec.commandLine().getOut();
            o.println(Checkpointer.unlock(Workloads.standard(), name).map(t -> "released nft table inet " + t)
                    .orElse("no CRIU lock is held here for " + name));
            o.flush();
            return 0;
        }
    }
}
