package dev.baton.ckpt.image;

import dev.baton.netns.NetnsLab.Host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * CRIU's command line, as the image tests drive it: dump and restore inside a lab host's network namespace
 * ({@code nsenter --net}, which keeps the mount namespace CRIU needs), logs kept in the image directory and
 * their error lines put in the failure message.
 */
final class CriuCli {
    static final String CRIU = Files.isExecutable(Path.of("/usr/local/sbin/criu")) ? "/usr/local/sbin/criu" : "criu";
    /** The workloads run in their own mount namespace; these let CRIU handle its mounts from the host's view. */
    private static final List<String> MOUNT_OPTIONS = List.of("--ext-mount-map", "auto", "--enable-external-sharing",
            "--enable-external-masters");

    private CriuCli() {}

    /** Dumps the process tree rooted at {@code pid} (which dies with the dump) into {@code dir}. */
    static void dump(Host host, long pid, Path dir) throws Exception {
        List<String> args = new ArrayList<>(List.of(CRIU, "dump", "-t", Long.toString(pid), "-D", dir.toString(),
                "-o", "dump.log", "-v4", "--tcp-established", "--network-lock", "skip"));
        args.addAll(MOUNT_OPTIONS);
        run(host, args, dir.resolve("dump.log"));
    }

    /** Restores {@code dir} detached inside {@code host}'s network namespace; returns the restored root's PID. */
    static long restore(Host host, Path dir) throws Exception {
        Path pidFile = dir.resolve("restored.pid");
        List<String> args = new ArrayList<>(List.of(CRIU, "restore", "-D", dir.toString(), "-o", "restore.log", "-v4",
                "--tcp-established", "--root", "/", "--restore-detached", "--pidfile", pidFile.toString()));
        args.addAll(MOUNT_OPTIONS);
        run(host, args, dir.resolve("restore.log"));
        return Long.parseLong(Files.readString(pidFile).strip());
    }

    private static void run(Host host, List<String> args, Path log) throws Exception {
        Process p = new ProcessBuilder(host.command(args.toArray(String[]::new)))
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("criu " + args.get(1) + " did not finish within 60 s");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("criu " + args.get(1) + " failed (exit " + p.exitValue() + "): " + out.strip()
                    + "\n" + errors(log));
        }
    }

    /** CRIU's error lines, except the rlimit one every run prints here (no CAP_SYS_RESOURCE). */
    static String errors(Path log) throws IOException {
        if (!Files.exists(log)) return "(no log " + log + ")";
        return Files.readAllLines(log).stream()
                .filter(l -> l.contains("Error") && !l.contains("RLIMIT_NOFILE"))
                .collect(Collectors.joining("\n"));
    }
}
