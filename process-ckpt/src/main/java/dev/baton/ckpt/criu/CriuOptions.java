package dev.baton.ckpt.criu;

import dev.baton.ckpt.criu.rpc.Rpc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The options of one dump, restore or page-server request. Built with {@link #builder(Path)}; anything not set
 * is left to CRIU's default, except the log level (4, so that a failure can be read).
 *
 * <p>CRIU's log is written into the work directory (by default the images directory) as {@code dump.log},
 * {@code restore.log} or {@code page-server.log}, so it travels with the images. A workload in its own PID and
 * mount namespace (Baton's {@code run}) needs {@link Builder#autoExtMnt}, {@link Builder#extSharing} and
 * {@link Builder#extMasters} on both dump and restore, and {@code root("/")} on restore.
 */
public final class CriuOptions {
    /** How CRIU keeps packets away from the workload's sockets while it is frozen. */
    public enum NetworkLock {
        IPTABLES(Rpc.criu_network_lock_method.IPTABLES),
        NFTABLES(Rpc.criu_network_lock_method.NFTABLES),
        /** No lock: the caller holds the flow itself (e.g. in {@link CriuNotify#networkLock()}). */
        SKIP(Rpc.criu_network_lock_method.SKIP);

        final Rpc.criu_network_lock_method rpc;

        NetworkLock(Rpc.criu_network_lock_method rpc) {
            this.rpc = rpc;
        }
    }

    /** CRIU's {@code --manage-cgroups} modes. */
    public enum CgroupMode {
        IGNORE(Rpc.criu_cg_mode.IGNORE), NONE(Rpc.criu_cg_mode.CG_NONE), PROPS(Rpc.criu_cg_mode.PROPS),
        SOFT(Rpc.criu_cg_mode.SOFT), FULL(Rpc.criu_cg_mode.FULL), STRICT(Rpc.criu_cg_mode.STRICT),
        DEFAULT(Rpc.criu_cg_mode.DEFAULT);

        final Rpc.criu_cg_mode rpc;

        CgroupMode(Rpc.criu_cg_mode rpc) {
            this.rpc = rpc;
        }
    }

    private final Path imagesDir;
    private final Path workDir;
    private final int logLevel;
    private final Rpc.criu_opts template;

    private CriuOptions(Path imagesDir, Path workDir, int logLevel, Rpc.criu_opts template) {
        this.imagesDir = imagesDir;
        this.workDir = workDir;
        this.logLevel = logLevel;
        this.template = template;
    }

    /** Options for images in {@code imagesDir} (an existing directory). */
    public static Builder builder(Path imagesDir) {
        return new Builder(imagesDir);
    }

    public Path imagesDir() {
        return imagesDir;
    }

    /** Where CRIU works and writes its log: the images directory unless set. */
    public Path workDir() {
        return workDir != null ? workDir : imagesDir;
    }

    public int logLevel() {
        return logLevel;
    }

    /** The PID to dump, when set. */
    public Optional<Integer> pid() {
        return template.hasPid() ? Optional.of(template.getPid()) : Optional.empty();
    }

    /** These options as CRIU's message, with the descriptors and log file name of one request. */
    Rpc.criu_opts.Builder toRpc(int imagesDirFd, int workDirFd, String logFile) {
        Rpc.criu_opts.Builder b = template.toBuilder().setImagesDirFd(imagesDirFd).setLogLevel(logLevel)
                .setLogFile(logFile);
        if (workDirFd >= 0) b.setWorkDirFd(workDirFd);
        return b;
    }

    boolean hasWorkDir() {
        return workDir != null;
    }

    @Override
    public String toString() {
        return "CriuOptions{images=" + imagesDir + (workDir != null ? ", work=" + workDir : "") + ", log level "
                + logLevel + ", " + template.toString().replace('\n', ' ').strip() + "}";
    }

    /** Builds {@link CriuOptions}; each setter maps onto the {@code criu_opts} field of the same name. */
    public static final class Builder {
        private final Path imagesDir;
        private Path workDir;
        private int logLevel = 4;
        // images_dir_fd is required in the message; the real one is set per request.
        private final Rpc.criu_opts.Builder opts = Rpc.criu_opts.newBuilder().setImagesDirFd(-1);
        private final List<String> external = new ArrayList<>();

        private Builder(Path imagesDir) {
            this.imagesDir = Objects.requireNonNull(imagesDir, "imagesDir");
        }

        /** A separate directory for CRIU's log and temporary files. */
        public Builder workDir(Path dir) {
            this.workDir = Objects.requireNonNull(dir, "workDir");
            return this;
        }

        /** 0 (errors only) to 4 (debug); default 4. */
        public Builder logLevel(int level) {
            if (level < 0 || level > 4) throw new IllegalArgumentException("log level is 0..4: " + level);
            this.logLevel = level;
            return this;
        }

        /** The root of the process tree to dump (as seen from CRIU's PID namespace). */
        public Builder pid(long pid) {
            if (pid <= 0 || pid > Integer.MAX_VALUE) throw new IllegalArgumentException("bad pid " + pid);
            opts.setPid((int) pid);
            return this;
        }

        /** The root directory of the restored tree ({@code --root}). */
        public Builder root(String root) {
            opts.setRoot(root);
            return this;
        }

        /** Dump and restore established TCP connections (TCP_REPAIR). */
        public Builder tcpEstablished(boolean on) {
            opts.setTcpEstablished(on);
            return this;
        }

        /** Restore established connections closed (data in flight is lost). */
        public Builder tcpClose(boolean on) {
            opts.setTcpClose(on);
            return this;
        }

        /** Leave connections still being set up out of the dump. */
        public Builder tcpSkipInFlight(boolean on) {
            opts.setTcpSkipInFlight(on);
            return this;
        }

        public Builder networkLock(NetworkLock lock) {
            opts.setNetworkLock(lock.rpc);
            return this;
        }

        /** The tree is a job of a shell (its session or process group is outside the tree). */
        public Builder shellJob(boolean on) {
            opts.setShellJob(on);
            return this;
        }

        /** Dump: let the tree run on afterwards (default: CRIU kills it once the dump succeeded). */
        public Builder leaveRunning(boolean on) {
            opts.setLeaveRunning(on);
            return this;
        }

        /** Dump or restore: leave the tree stopped (SIGSTOP) instead of killed (dump) or running (restore). */
        public Builder leaveStopped(boolean on) {
            opts.setLeaveStopped(on);
            return this;
        }

        /** Allow unix sockets whose peer is outside the tree. */
        public Builder extUnixSk(boolean on) {
            opts.setExtUnixSk(on);
            return this;
        }

        public Builder fileLocks(boolean on) {
            opts.setFileLocks(on);
            return this;
        }

        public Builder manageCgroups(CgroupMode mode) {
            opts.setManageCgroupsMode(mode.rpc);
            return this;
        }

        /** Detect mounts shared with the host as external ({@code --ext-mount-map auto}). */
        public Builder autoExtMnt(boolean on) {
            opts.setAutoExtMnt(on);
            return this;
        }

        public Builder extSharing(boolean on) {
            opts.setExtSharing(on);
            return this;
        }

        public Builder extMasters(boolean on) {
            opts.setExtMasters(on);
            return this;
        }

        /** An {@code --external} resource ({@code mnt[...]}, {@code veth[...]}, …). */
        public Builder external(String resource) {
            external.add(Objects.requireNonNull(resource, "resource"));
            return this;
        }

        /** Write memory pages to (dump) or serve them from (lazy pages) a page server. */
        public Builder pageServer(String address, int port) {
            if (port < 0 || port > 65535) throw new IllegalArgumentException("bad port " + port);
            Rpc.criu_page_server_info.Builder ps = Rpc.criu_page_server_info.newBuilder().setPort(port);
            if (address != null) ps.setAddress(address);
            opts.setPs(ps);
            return this;
        }

        /** Post-copy: the dump keeps pages for a lazy-pages daemon; the restore fetches them on fault. */
        public Builder lazyPages(boolean on) {
            opts.setLazyPages(on);
            return this;
        }

        public CriuOptions build() {
            if (opts.getLeaveRunning() && opts.getLeaveStopped()) {
                throw new IllegalArgumentException("leaveRunning and leaveStopped exclude each other");
            }
            if (opts.getTcpEstablished() && opts.getTcpClose()) {
                throw new IllegalArgumentException("tcpEstablished and tcpClose exclude each other");
            }
            Rpc.criu_opts.Builder b = opts.clone().clearExternal().addAllExternal(external);
            return new CriuOptions(imagesDir, workDir, logLevel, b.buildPartial());
        }
    }
}
