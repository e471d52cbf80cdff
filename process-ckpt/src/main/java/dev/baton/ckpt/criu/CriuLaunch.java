package dev.baton.ckpt.criu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How to start {@code criu swrk}: which binary, in which network namespace, and where its own standard output and
 * error go (CRIU's log proper is written next to the images, see {@link CriuOptions}).
 *
 * @param criu   the CRIU binary; a bare name is searched on PATH
 * @param netns  the network namespace CRIU runs in ({@code /run/netns/NAME} or {@code /proc/PID/ns/net}), entered
 *               with {@code nsenter --net=PATH} (which, unlike {@code ip netns exec}, leaves the mount namespace
 *               alone). A dump must run in the workload's namespace, or CRIU treats that namespace as the
 *               workload's own and tries to dump it whole; a restore runs in the namespace the workload moves to.
 * @param output where swrk's standard output and error are appended (before CRIU opens its log, and anything a
 *               restored {@code shell_job} prints)
 */
public record CriuLaunch(Path criu, Optional<Path> netns, Path output) {
    private static final Path INSTALLED = Path.of("/usr/local/sbin/criu");

    public CriuLaunch {
        Objects.requireNonNull(criu, "criu");
        Objects.requireNonNull(netns, "netns");
        Objects.requireNonNull(output, "output");
    }

    /** {@code /usr/local/sbin/criu} when installed there (scripts/install-deps.sh), else {@code criu} on PATH. */
    public static CriuLaunch defaults() {
        Path criu = Files.isExecutable(INSTALLED) ? INSTALLED : Path.of("criu");
        return new CriuLaunch(criu, Optional.empty(), Path.of("/dev/null"));
    }

    /** The same launch with CRIU running inside the network namespace at {@code netnsPath}. */
    public CriuLaunch inNetns(Path netnsPath) {
        return new CriuLaunch(criu, Optional.of(netnsPath), output);
    }

    public CriuLaunch withCriu(Path binary) {
        return new CriuLaunch(binary, netns, output);
    }

    public CriuLaunch withOutput(Path file) {
        return new CriuLaunch(criu, netns, file);
    }

    /** The command line, with the socket at descriptor {@code fd}. */
    List<String> argv(int fd) {
        List<String> argv = new ArrayList<>();
        netns.ifPresent(ns -> argv.addAll(List.of("nsenter", "--net=" + ns, "--")));
        argv.addAll(List.of(criu.toString(), "swrk", Integer.toString(fd)));
        return argv;
    }
}
