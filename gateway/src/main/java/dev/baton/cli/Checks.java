package dev.baton.cli;

import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.keys.KeysException;

import dev.baton.netns.NetNamespace;
import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checks of {@code baton doctor}, one method each. Probes that change network state run in a scratch
 * namespace. No check throws: an unexpected failure becomes a FAIL naming it.
 */
final class Checks {
    static final String INSTALL = "run sudo scripts/install-deps.sh";
    static final String AS_ROOT = "run baton as root";
    private static final int[] CRIU_MIN = {4, 2};
    private static final Pattern CRIU_VERSION = Pattern.compile("Version:\\s*(\\d+)\\.(\\d+)\\S*");

    /**
     * A capability Baton uses: its bit in CapEff, what needs it, and — when lacking it is only a warning — what
     * to do about it.
     */
    private record Capability(String name, int bit, String why, String warnFix) {}

    private static final List<Capability> CAPABILITIES = List.of(
            new Capability("CAP_NET_ADMIN", Privileges.CAP_NET_ADMIN, "TCP_REPAIR and nftables", null),
            new Capability("CAP_SYS_ADMIN", Privileges.CAP_SYS_ADMIN, "entering network namespaces; CRIU", null),
            new Capability("CAP_SYS_PTRACE", Privileges.CAP_SYS_PTRACE, "pidfd_getfd on other processes; CRIU dump", null),
            new Capability("CAP_CHECKPOINT_RESTORE", 40, "CRIU; CAP_SYS_ADMIN also does",
                    "nothing while CAP_SYS_ADMIN is present; else " + AS_ROOT),
            new Capability("CAP_SYS_RESOURCE", 24, "CRIU raising RLIMIT_NOFILE",
                    "nothing: CRIU only logs \"Can't setup RLIMIT_NOFILE\" and goes on (a known, harmless warning)"));

    private final ScratchNetns scratch;

    /** Where install-deps' CRIU keeps its kernel probe cache (built with RUNDIR set to it). */
    static final String CRIU_KDAT_DIR = "/run/baton-criu";

    Checks(ScratchNetns scratch) {
        this.scratch = scratch;
    }

    List<Check> all() {
        List<Check> checks = new ArrayList<>(List.of(
                safely("java", this::java),
                safely("kernel", this::kernel),
                safely("criu", this::criu),
                safely("criu check", this::criuCheck),
                safely("criu kdat cache", this::criuKdatCache),
                safely("nftables", this::nftables),
                safely("iproute2", this::iproute2),
                safely("libpcap", this::libpcap),
                safely("tcpdump", this::tcpdump),
                safely("network namespaces", this::netns),
                safely("TCP_REPAIR", this::tcpRepair),
                safely("pidfd_open/pidfd_getfd", this::pidfd),
                safely("userfaultfd", this::userfaultfd),
                safely("cluster keys", this::clusterKeys)));
        for (Capability c : CAPABILITIES) checks.add(safely(c.name(), () -> capability(c)));
        return checks;
    }

    private static Check safely(String name, Supplier<Check> check) {
        try {
            return check.get();
        } catch (RuntimeException e) {
            return Check.fail(name, "check failed: " + e.getMessage(), "run with --verbose and report it");
        }
    }

    Check java() {
        Runtime.Version v = Runtime.version();
        String detail = v + " at " + System.getProperty("java.home");
        return v.feature() >= 25 ? Check.ok("java", detail)
                : Check.fail("java", detail, "install a JDK 25 (Temurin) and set BATON_JAVA_HOME");
    }

    Check kernel() {
        String release = read(Path.of("/proc/sys/kernel/osrelease")).strip();
        Matcher m = Pattern.compile("(\\d+)\\.(\\d+)").matcher(release);
        if (m.lookingAt() && compare(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), 5, 6) < 0) {
            return Check.fail("kernel", release + " (pidfd_getfd needs Linux >= 5.6)", "use Linux >= 5.6");
        }
        return Check.ok("kernel", release);
    }

    Check criu() {
        Optional<Path> criu = Tools.which("criu");
        if (criu.isEmpty()) return Check.fail("criu", "not found", INSTALL);
        String out = Tools.run(criu.get(), "--version");
        Matcher m = CRIU_VERSION.matcher(out);
        if (!m.find()) return Check.fail("criu", criu.get() + ": unknown version: " + Tools.firstLine(out), INSTALL);
        String detail = m.group().substring(m.group().indexOf(':') + 1).strip() + " at " + criu.get();
        if (compare(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), CRIU_MIN[0], CRIU_MIN[1]) < 0) {
            return Check.fail("criu", detail + " (need >= 4.2: 3.17 fails on this kernel, 4.1 cannot dump TCP "
                    + "sockets on kernels >= 6.16)", INSTALL + " (builds CRIU 4.2.1)");
        }
        return Check.ok("criu", detail);
    }

    Check criuCheck() {
        Optional<Path> criu = Tools.which("criu");
        if (criu.isEmpty()) return Check.fail("criu check", "criu not found", INSTALL);
        try {
            String out = Tools.run(criu.get(), "check");
            return out.contains("Looks good") ? Check.ok("criu check", "Looks good")
                    : Check.warn("criu check", Tools.firstLine(out), "see `criu check --all` for what is missing");
        } catch (RuntimeException e) {
            String needsRoot = Privileges.has(Privileges.CAP_SYS_ADMIN) ? "" : " (criu check needs root)";
            return Check.fail("criu check", e.getMessage().strip() + needsRoot,
                    AS_ROOT + "; if it still fails, " + INSTALL);
        }
    }

    /**
     * CRIU keeps its kernel probe results only on tmpfs; Baton's CRIU is built to keep them in a tmpfs that
     * install-deps mounts. Without it every dump and restore probes again (25-50 ms): a warning.
     */
    Check criuKdatCache() {
        boolean mounted = read(Path.of("/proc/self/mountinfo")).lines()
                .anyMatch(l -> l.contains(" " + CRIU_KDAT_DIR + " ") && l.contains(" - tmpfs "));
        return mounted ? Check.ok("criu kdat cache", "tmpfs at " + CRIU_KDAT_DIR)
                : Check.warn("criu kdat cache", "no tmpfs at " + CRIU_KDAT_DIR + ": CRIU probes the kernel on every run",
                INSTALL + " (mounts it)");
    }

    /** Needed to seal and open bundles and to talk to agents; not for socket work, so a warning. */
    Check clusterKeys() {
        Path dir = ClusterKeys.defaultDir();
        if (!Files.exists(dir)) {
            return Check.warn("cluster keys", "none in " + dir, "`baton keys init` (or copy this host's identity "
                    + "made by `baton keys issue`), needed for bundles and agents");
        }
        try {
            ClusterKeys keys = ClusterKeys.load(dir);
            return Check.ok("cluster keys", "host " + keys.hostName() + " in " + dir);
        } catch (KeysException e) {
            return Check.fail("cluster keys", e.getMessage(), "fix or re-create the key directory " + dir);
        }
    }

    Check nftables() {
        Optional<Path> nft = Tools.which("nft");
        if (nft.isEmpty()) return Check.fail("nftables", "nft not found", INSTALL);
        String version = Tools.firstLine(Tools.run(nft.get(), "--version"));
        Optional<NetNamespace> ns = scratch.netns();
        if (ns.isEmpty()) {
            return Check.fail("nftables", version + "; no scratch namespace to try a table in", AS_ROOT);
        }
        try {
            ns.get().exec(null, nft.get().toString(), "add", "table", "inet", "baton_doctor");
            return Check.ok("nftables", version + "; can create a table");
        } catch (RuntimeException e) {
            return Check.fail("nftables", version + "; cannot create a table: " + e.getMessage(),
                    AS_ROOT + " on a kernel with nf_tables (modprobe nf_tables)");
        }
    }

    Check iproute2() {
        return Tools.which("ip")
                .map(ip -> Check.ok("iproute2", Tools.firstLine(Tools.run(ip, "-V")) + " at " + ip))
                .orElseGet(() -> Check.fail("iproute2", "ip not found", INSTALL));
    }

    @SuppressWarnings("restricted") // loads libpcap and calls pcap_lib_version(): the version string, nothing else
    Check libpcap() {
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup pcap = SymbolLookup.libraryLookup("libpcap.so.0.8", arena);
            MemorySegment fn = pcap.find("pcap_lib_version").orElseThrow();
            MemorySegment version = (MemorySegment) Linker.nativeLinker()
                    .downcallHandle(fn, FunctionDescriptor.of(ValueLayout.ADDRESS)).invokeExact();
            return Check.ok("libpcap", version.reinterpret(256).getString(0));
        } catch (IllegalArgumentException e) {
            return Check.fail("libpcap", "libpcap.so.0.8 cannot be loaded", INSTALL + " (package libpcap0.8)");
        } catch (Throwable t) {
            return Check.fail("libpcap", "libpcap.so.0.8 loads but pcap_lib_version failed: " + t,
                    INSTALL + " (package libpcap0.8)");
        }
    }

    Check tcpdump() {
        return Tools.which("tcpdump")
                .map(t -> Check.ok("tcpdump", Tools.firstLine(Tools.run(t, "--version")) + " at " + t))
                .orElseGet(() -> Check.warn("tcpdump", "not found (only wire audits need it)", INSTALL));
    }

    Check netns() {
        return scratch.netns().isPresent() ? Check.ok("network namespaces", "can create one")
                : Check.fail("network namespaces", "cannot create one: " + scratch.error(),
                AS_ROOT + " (needs CAP_SYS_ADMIN) with iproute2 installed");
    }

    /** An unconnected socket accepts TCP_REPAIR=1 from a caller with CAP_NET_ADMIN. */
    Check tcpRepair() {
        Supplier<Check> probe = () -> {
            int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
            try {
                Libc.setsockoptInt(fd, Libc.SOL_TCP, Libc.TCP_REPAIR, 1);
                return Check.ok("TCP_REPAIR", "a fresh socket accepts TCP_REPAIR"
                        + (scratch.netns().isPresent() ? " (in a scratch namespace)" : ""));
            } catch (ErrnoException e) {
                return e.errno() == Libc.EPERM
                        ? Check.fail("TCP_REPAIR", e.getMessage(), AS_ROOT + " (needs CAP_NET_ADMIN)")
                        : Check.fail("TCP_REPAIR", e.getMessage() + ": the kernel lacks TCP_REPAIR",
                        "use a kernel with CONFIG_CHECKPOINT_RESTORE");
            } finally {
                Libc.close(fd);
            }
        };
        return scratch.netns().map(ns -> ns.get(probe)).orElseGet(probe);
    }

    Check pidfd() {
        String name = "pidfd_open/pidfd_getfd";
        try {
            int pidfd = Libc.pidfdOpen((int) ProcessHandle.current().pid());
            try {
                Libc.close(Libc.pidfdGetfd(pidfd, pidfd));
            } finally {
                Libc.close(pidfd);
            }
            return Check.ok(name, "both work");
        } catch (ErrnoException e) {
            return Check.fail(name, e.getMessage(), e.errno() == Libc.EPERM ? AS_ROOT
                    : "use Linux >= 5.6 with CONFIG_CHECKPOINT_RESTORE");
        }
    }

    Check userfaultfd() {
        Path sysctl = Path.of("/proc/sys/vm/unprivileged_userfaultfd");
        Path device = Path.of("/dev/userfaultfd");
        if (Files.exists(sysctl)) {
            return Check.ok("userfaultfd", "present (vm.unprivileged_userfaultfd=" + read(sysctl).strip()
                    + (Files.exists(device) ? ", /dev/userfaultfd" : "") + ")");
        }
        if (Files.exists(device)) return Check.ok("userfaultfd", "present (/dev/userfaultfd)");
        return Check.warn("userfaultfd", "not found: CRIU lazy restore (post-copy) is unavailable",
                "use a kernel with CONFIG_USERFAULTFD");
    }

    Check capability(Capability c) {
        if (Privileges.has(c.bit())) return Check.ok(c.name(), "present (" + c.why() + ")");
        String detail = "missing (" + c.why() + ")";
        return c.warnFix() != null ? Check.warn(c.name(), detail, c.warnFix()) : Check.fail(c.name(), detail, AS_ROOT);
    }

    private static int compare(int major, int minor, int wantMajor, int wantMinor) {
        return major != wantMajor ? Integer.compare(major, wantMajor) : Integer.compare(minor, wantMinor);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
