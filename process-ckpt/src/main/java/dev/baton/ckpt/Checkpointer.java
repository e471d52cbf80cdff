package dev.baton.ckpt;

import dev.baton.ckpt.agent.DumpReport;
import dev.baton.ckpt.agent.DumpRequest;
import dev.baton.ckpt.agent.DumpedConnection;
import dev.baton.ckpt.agent.HostHealth;
import dev.baton.ckpt.agent.HostService;
import dev.baton.ckpt.agent.Hooks;
import dev.baton.ckpt.agent.RestoreReport;
import dev.baton.ckpt.agent.RestoreRequest;
import dev.baton.ckpt.agent.SendQueueSync;
import dev.baton.ckpt.agent.SyncedSendQueue;
import dev.baton.ckpt.bundle.BundleReader;
import dev.baton.ckpt.bundle.BundleWriter;
import dev.baton.ckpt.bundle.Manifest;
import dev.baton.ckpt.criu.CriuClient;
import dev.baton.ckpt.criu.CriuException;
import dev.baton.ckpt.criu.CriuLaunch;
import dev.baton.ckpt.criu.CriuNotify;
import dev.baton.ckpt.criu.CriuOptions;
import dev.baton.ckpt.criu.CriuOptions.NetworkLock;
import dev.baton.ckpt.criu.CriuVersion;
import dev.baton.ckpt.criu.RestoreResult;
import dev.baton.ckpt.image.AddressRewrite;
import dev.baton.ckpt.image.ImageDir;
import dev.baton.ckpt.image.InetSocketImage;
import dev.baton.ckpt.image.RewriteReport;
import dev.baton.ckpt.image.SendQueueTrim;
import dev.baton.ckpt.image.TcpStreamImage;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.WorkloadStatus;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.netns.NetNamespace;
import dev.baton.socket.Seq;
import dev.baton.socket.StateJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checkpoint and restore of workloads on this host: CRIU over its RPC, Baton's image edits, sealed bundles.
 * <pre>
 *   checkpoint(name)  CRIU dump into a kept images dir ─┬─ seal(dump, out)      bundle for another host
 *                     (workload gone, its flows locked)  │    after syncSendQueues: queues trimmed to the far ends
 *                                                        ├─ rollback(dump)      restore it here, as it was
 *                                                        ├─ release  bundle delivered: images deleted, lock kept
 *                                                        └─ commit   runs elsewhere: images and lock deleted
 *   restore(bundle)   verify + unpack ─ rewrite addresses ─ preflight (ports, addresses) ─ CRIU restore ─ record
 * </pre>
 * Nothing is lost on failure: a dump that fails leaves the workload running (CRIU's promise); once CRIU has
 * dumped, the images stay on disk until the caller commits, and every error says where they are; a restore
 * runs only from a bundle that verified completely, and one that fails leaves no process behind.
 */
public final class Checkpointer implements HostService {
    private static final Logger log = LoggerFactory.getLogger(Checkpointer.class);
    /** How long a dump waits for the workload to accept the connections queued for it. */
    private static final Duration ACCEPT_WAIT = Duration.ofMillis(500);

    private final Workloads workloads;
    private final ClusterKeys keys;
    private final CriuLaunch criu;
    private final DumpDirs dumpDirs;
    /** Dumps made through {@link #dump(DumpRequest, OutputStream, Hooks)} whose fate the caller has not told yet. */
    private final Map<String, Dumped> unsettled = new ConcurrentHashMap<>();

    public Checkpointer(Workloads workloads, ClusterKeys keys, Path imagesRoot, CriuLaunch criu) {
        this.workloads = workloads;
        this.keys = keys;
        this.criu = criu;
        this.dumpDirs = new DumpDirs(imagesRoot, workloads.dir());
        dumpDirs.sweepAbandoned();
    }

    /** Workloads under {@code $BATON_HOME}, images where {@link BatonHome#images()} says, the installed CRIU. */
    public static Checkpointer standard(ClusterKeys keys) {
        return new Checkpointer(Workloads.standard(), keys, BatonHome.images(), CriuLaunch.defaults());
    }

    public Workloads workloadRecords() {
        return workloads;
    }

    /**
     * A dump whose images are on this host.
     *
     * @param imageDir  the images, as read once after the dump: edit them through it (not thread-safe: one
     *                  caller at a time)
     * @param lockTable CRIU's nftables lock table left in the source namespace, or null (network lock skipped)
     */
    public record Dumped(Workload workload, ImageDir imageDir, Manifest manifest, String lockTable,
                         Map<String, Double> phasesMs) {
        /** The images directory. */
        public Path images() {
            return imageDir.path();
        }
    }

    // ---------------------------------------------------------------------------------------------- dump side

    /**
     * Dumps a running workload with its established TCP connections into a new images directory under the
     * images root. CRIU starts (and is asked its version) before the workload is frozen, so the freeze holds only
     * the dump itself. On success the workload is gone from this host and its connections stay locked by CRIU's
     * nftables table (unless {@code networkLockSkip}: then the caller holds them).
     *
     * @throws CheckpointException the workload is unknown or not running, or CRIU failed: it still runs
     */
    public Dumped checkpoint(String name, boolean networkLockSkip, Hooks hooks) {
        Phases phases = new Phases();
        Workload w = workloads.get(name);
        if (!Workloads.isRunning(w)) {
            throw new CheckpointException(name + " is not running (its root PID " + w.rootPid() + " is gone)");
        }
        NetNamespace netns = NetNamespace.ofProcess(w.rootPid());
        Path images = dumpDirs.create(name);
        phases.start("criu-start");
        try (CriuClient client = CriuClient.start(criu.inNetns(netns.path()).withOutput(images.resolve("criu.out")))) {
            CriuVersion version = client.version();
            dumpDirs.writeWorkload(images, w);
            phases.start("dump");
            CriuOptions options = mountOptions(CriuOptions.builder(images))
                    .pid(w.rootPid())
                    .tcpEstablished(true)
                    .networkLock(networkLockSkip ? NetworkLock.SKIP : NetworkLock.NFTABLES)
                    .build();
            client.dump(options, dumpNotify(w, hooks));
            phases.start("inspect");
            ImageDir dir = readDump(images);
            Manifest manifest = Manifest.of(version.toString(), kernelRelease(),
                    new Manifest.Workload(w.name(), w.command(), w.rootPid()), sockets(dir));
            String lock = networkLockSkip ? null
                    : CriuLock.fromDumpLog(w.netns(), images.resolve("dump.log")).map(CriuLock::table).orElse(null);
            phases.end();
            log.info("dumped {} (pid {}) into {}", name, w.rootPid(), images);
            return new Dumped(w, dir, manifest, lock, phases.millis());
        } catch (CriuException e) {
            dumpDirs.keepLog(images, w, "dump.log");
            DumpDirs.delete(images);
            throw new CheckpointException("dump of " + name + " failed, it keeps running: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (Workloads.isRunning(w)) {
                DumpDirs.delete(images);
                throw new CheckpointException("dump of " + name + " failed, it keeps running: " + e.getMessage(), e);
            }
            throw new CheckpointException("dump of " + name + " failed after CRIU had dumped it; its images are kept in "
                    + images + " (restore it here with: baton ckpt restore --in " + images + ")", e);
        }
    }

    /**
     * Seals a dump's images into {@code out} as a bundle and returns its size. The images stay: if the bundle does
     * not reach its destination, {@link #rollback} still works.
     */
    public long seal(Dumped dump, OutputStream out, Hooks hooks) {
        try {
            long size = BundleWriter.seal(dump.images(), dump.manifest(), keys, out,
                    (done, total) -> hooks.progress("seal", done, total));
            out.flush();
            return size;
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException("sealing the bundle of " + dump.workload().name() + " failed: "
                    + e.getMessage() + "; its images are kept in " + dump.images()
                    + " (restore it here with: baton ckpt restore --in " + dump.images() + ")", e);
        }
    }

    /** Restores a dump here, in the namespace it came from, with its original addresses: the undo of a dump. */
    public RestoreReport rollback(Dumped dump, Hooks hooks) {
        RestoreReport report;
        try {
            report = restoreImages(dump.images(), new RestoreRequest(Map.of(), dump.workload().netns(), false), hooks);
        } catch (RuntimeException e) {
            throw new CheckpointException("restoring " + dump.workload().name() + " on its source failed: "
                    + e.getMessage() + "; its images are kept in " + dump.images(), e);
        }
        DumpDirs.delete(dump.images());
        return report;
    }

    /** The workload now runs elsewhere: delete the images and the CRIU lock left in the source namespace. */
    public void commit(Dumped dump) {
        DumpDirs.delete(dump.images());
        if (dump.lockTable() != null) lockOf(dump).release();
    }

    /**
     * The bundle reached its holder (a file, a caller): delete the images. CRIU's lock stays in place — the
     * workload is restored elsewhere later — and is noted so that {@link #unlock(Workloads, String)} finds it from
     * another process.
     */
    public void release(Dumped dump) {
        DumpDirs.delete(dump.images());
        if (dump.lockTable() == null) return;
        try {
            lockOf(dump).recordIn(lockFile(workloads, dump.workload().name()));
        } catch (IOException e) {
            throw new UncheckedIOException("recording the lock of " + dump.workload().name(), e);
        }
    }

    /**
     * Releases the CRIU lock that a dump of {@code name} left on this host (see {@link #release(Dumped)}): the
     * connections it held are now served elsewhere. Returns the table deleted, or empty when none was held —
     * also when the table is gone already: a restore in the source namespace makes CRIU delete it.
     */
    public static Optional<String> unlock(Workloads workloads, String name) {
        Path file = lockFile(workloads, name);
        try {
            Optional<CriuLock> lock = CriuLock.recordedIn(file);
            Files.deleteIfExists(file);
            return lock.filter(CriuLock::release).map(CriuLock::table);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }

    private static Path lockFile(Workloads workloads, String name) {
        return workloads.dir().resolve(name).resolve("criu-lock");
    }

    private static CriuLock lockOf(Dumped dump) {
        return new CriuLock(dump.workload().netns(), dump.lockTable());
    }

    // ------------------------------------------------------------------------------------------- restore side

    /**
     * Verifies and unpacks a bundle, then restores it here ({@link #restoreImages}). Nothing runs unless the
     * whole bundle verified; the unpacked images are deleted afterwards, whatever the outcome.
     */
    @Override
    public RestoreReport restore(RestoreRequest request, InputStream bundle, Hooks hooks) {
        return restore(request, bundle, hooks, BeforeRestore.NOTHING);
    }

    /** Called with the images, verified, rewritten and preflighted, right before CRIU restores them. */
    @FunctionalInterface
    public interface BeforeRestore {
        BeforeRestore NOTHING = images -> { };

        /** Throwing stops the restore: nothing is restored. */
        void imagesReady(ImageDir images) throws Exception;
    }

    /**
     * {@link #restore(RestoreRequest, InputStream, Hooks)}, letting {@code before} act on the final images first —
     * e.g. aim the peers' sockets at the new address and trim the images' send queues to what the peers have.
     */
    public RestoreReport restore(RestoreRequest request, InputStream bundle, Hooks hooks, BeforeRestore before) {
        NetNamespace netns = targetNetns(request);
        Path images = dumpDirs.incoming();
        // CRIU starts while the bundle is still arriving: its start-up is then off the restore's path.
        try (CriuClient client = startCriu(request, netns, images)) {
            long start = System.nanoTime();
            BundleReader.open(bundle, keys, images, (done, total) -> hooks.progress("open", done, total));
            double openMs = (System.nanoTime() - start) / 1e6;
            RestoreReport r = restoreImages(images, request, hooks, netns, client, before);
            Map<String, Double> phases = new LinkedHashMap<>();
            phases.put("open", openMs);
            phases.putAll(r.phasesMs());
            return new RestoreReport(r.workload(), r.pid(), r.rewrittenSockets(), phases);
        } finally {
            DumpDirs.delete(images);
            DumpDirs.delete(criuOutput(images));
        }
    }

    /**
     * Restores the images in {@code images} here: rewrites socket addresses as asked, checks that the target
     * namespace can take every socket, restores with CRIU and records the workload under its name.
     *
     * @throws CheckpointException with the reason; no restored process is left behind
     */
    public RestoreReport restoreImages(Path images, RestoreRequest request, Hooks hooks) {
        NetNamespace netns = targetNetns(request);
        try (CriuClient client = startCriu(request, netns, images)) {
            return restoreImages(images, request, hooks, netns, client, BeforeRestore.NOTHING);
        } finally {
            DumpDirs.delete(criuOutput(images));
        }
    }

    private RestoreReport restoreImages(Path images, RestoreRequest request, Hooks hooks, NetNamespace netns,
                                        CriuClient client, BeforeRestore before) {
        Phases phases = new Phases();
        Workload w = dumpDirs.readWorkload(images);
        workloads.find(w.name()).filter(Workloads::isRunning).ifPresent(running -> {
            throw new CheckpointException(w.name() + " is already running here (PID " + running.rootPid()
                    + "): stop it first ('baton stop " + w.name() + "')");
        });
        String where = request.netns() == null ? "here" : "in netns " + request.netns();
        try {
            phases.start("rewrite");
            ImageDir dir = ImageDir.open(images);
            int rewritten = 0;
            if (!request.rewrite().isEmpty()) {
                RewriteReport report = dir.rewrite(AddressRewrite.of(parseRewrite(request.rewrite())));
                rewritten = report.changed().size();
                log.info("address rewrite: {}", report.summary());
            }
            phases.start("preflight");
            RestorePreflight.check(dir.inetSockets(), netns, w.name() + " " + where);
            if (before != BeforeRestore.NOTHING) {
                phases.start("before-restore");
                try {
                    before.imagesReady(dir);
                } catch (Exception e) {
                    throw new CheckpointException("restore of " + w.name() + " " + where + " stopped before CRIU ran, "
                            + "nothing was restored: " + e.getMessage(), e);
                }
            }
            phases.start("restore");
            CriuOptions options = mountOptions(CriuOptions.builder(images))
                    .root("/")
                    .tcpEstablished(true)
                    .leaveStopped(request.leaveStopped())
                    .build();
            RestoreResult result = client.restore(options, new HookRelay(hooks, 0));
            phases.start("record");
            long pid = result.pid();
            workloads.recordMoved(w, pid, request.netns());
            dumpDirs.keepLog(images, w, "restore.log");
            phases.end();
            log.info("restored {} as pid {} {}", w.name(), pid, where);
            return new RestoreReport(w.name(), pid, rewritten, phases.millis());
        } catch (CriuException e) {
            dumpDirs.keepLog(images, w, "restore.log");
            throw new CheckpointException("restore of " + w.name() + " " + where + " failed, nothing is running: "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new CheckpointException("restore of " + w.name() + " failed reading its images in " + images + ": "
                    + e.getMessage(), e);
        }
    }

    private static NetNamespace targetNetns(RestoreRequest request) {
        if (request.netns() == null) return NetNamespace.ofProcess(ProcessHandle.current().pid());
        NetNamespace netns = NetNamespace.named(request.netns());
        if (!netns.exists()) {
            throw new CheckpointException("no network namespace named '" + request.netns() + "' (ip netns list)");
        }
        return netns;
    }

    /** {@code criu swrk} for a restore, in the target namespace; its own output next to the images. */
    private CriuClient startCriu(RestoreRequest request, NetNamespace netns, Path images) {
        CriuLaunch launch = request.netns() == null ? criu : criu.inNetns(netns.path());
        return CriuClient.start(launch.withOutput(criuOutput(images)));
    }

    private static Path criuOutput(Path images) {
        return images.resolveSibling(images.getFileName() + ".criu.out");
    }

    // ---------------------------------------------------------------------------------------- HostService

    @Override
    public HostHealth health() {
        List<String> problems = new ArrayList<>();
        String version = null;
        try (CriuClient client = CriuClient.start(criu)) {
            version = client.version().toString();
        } catch (RuntimeException e) {
            problems.add("CRIU does not start: " + e.getMessage() + " (scripts/install-deps.sh installs it)");
        }
        return new HostHealth(keys.hostName(), version, kernelRelease(), problems);
    }

    @Override
    public List<WorkloadStatus> workloads() {
        return workloads.list().stream().map(workloads::status).toList();
    }

    /**
     * Dumps and seals in one go, streaming the bundle into {@code bundle}. The images stay until the caller
     * settles the dump ({@link #release}, {@link #commit}, {@link #rollback}); if sealing fails the workload is
     * restored here at once.
     */
    @Override
    public DumpReport dump(DumpRequest request, OutputStream bundle, Hooks hooks) {
        Dumped dump = checkpoint(request.workload(), request.networkLockSkip(), hooks);
        List<DumpedConnection> connections = connections(dump, hooks);
        Map<String, Double> phases = new LinkedHashMap<>(dump.phasesMs());
        long start = System.nanoTime();
        long size;
        try {
            size = seal(dump, bundle, hooks);
        } catch (CheckpointException e) {
            throw restoredHere(dump, hooks, "sending the bundle of " + request.workload() + " failed: " + rootMessage(e), e);
        }
        phases.put("seal", (System.nanoTime() - start) / 1e6);
        return keep(dump, size, phases, connections);
    }

    /**
     * Dumps and keeps the images here until the caller seals and settles them, or settles them: the first step
     * of a migration whose caller acts between the dump and the restore. The report lists the connections.
     */
    @Override
    public DumpReport checkpoint(DumpRequest request, Hooks hooks) {
        Dumped dump = checkpoint(request.workload(), request.networkLockSkip(), hooks);
        long start = System.nanoTime();
        List<DumpedConnection> connections = connections(dump, hooks);
        Map<String, Double> phases = new LinkedHashMap<>(dump.phasesMs());
        phases.put("connections", (System.nanoTime() - start) / 1e6);
        return keep(dump, 0, phases, connections);
    }

    /**
     * Trims the send queues of a kept dump's connections to what their far ends have ({@link
     * ImageDir#reconcileSendQueue}). Each entry is looked up before any image changes.
     */
    @Override
    public List<SyncedSendQueue> syncSendQueues(String dumpId, List<SendQueueSync> sync) {
        Dumped dump = unsettled(dumpId);
        String which = "dump " + dumpId + " of " + dump.workload().name();
        Map<InetSocketImage, SendQueueSync> targets = new LinkedHashMap<>();
        ImageDir dir = dump.imageDir();
        Map<List<InetSocketAddress>, InetSocketImage> connections = new HashMap<>();
        for (InetSocketImage i : dir.inetSockets()) {
            if (i.isTcp() && !i.isListening()) connections.putIfAbsent(List.of(i.local(), i.remote()), i);
        }
        for (SendQueueSync entry : sync) {
            InetSocketImage socket = connections.get(List.of(entry.local(), entry.remote()));
            if (socket == null) {
                throw new CheckpointException("no connection " + entry.describe() + " in " + which
                        + " (its connections: " + describe(dir) + ")");
            }
            if (targets.put(socket, entry) != null) {
                throw new CheckpointException("connection " + entry.describe() + " is listed twice");
            }
        }
        List<SyncedSendQueue> synced = new ArrayList<>();
        for (Map.Entry<InetSocketImage, SendQueueSync> t : targets.entrySet()) {
            SendQueueSync entry = t.getValue();
            try {
                SendQueueTrim trim = dir.reconcileSendQueue(t.getKey(), entry.farEndRcvNxt());
                synced.add(new SyncedSendQueue(entry, trim.droppedBytes(), trim.unsentAfter()));
            } catch (IOException | IllegalArgumentException e) {
                throw new CheckpointException("trimming the send queue of " + entry.describe() + " in " + which
                        + " failed: " + e.getMessage() + (synced.isEmpty() ? "" : " (trimmed before it, to what their"
                        + " far ends have: " + synced.stream().map(x -> x.sync().describe()).toList() + ")"), e);
            }
        }
        // Totals, not a thousand records, in a log line written inside the freeze.
        log.info("{}: {} send queues synced: {} bytes the far ends had dropped, {} bytes left to send", which,
                synced.size(), synced.stream().mapToLong(SyncedSendQueue::droppedBytes).sum(),
                synced.stream().mapToLong(SyncedSendQueue::requeuedBytes).sum());
        return synced;
    }

    /** Seals a kept dump into {@code bundle} ({@link #seal(Dumped, OutputStream, Hooks)}); it stays kept. */
    @Override
    public long seal(String dumpId, OutputStream bundle, Hooks hooks) {
        return seal(unsettled(dumpId), bundle, hooks);
    }

    private DumpReport keep(Dumped dump, long bundleBytes, Map<String, Double> phases,
                            List<DumpedConnection> connections) {
        String id = dump.images().getFileName().toString();
        unsettled.put(id, dump);
        return new DumpReport(dump.workload().name(), dump.workload().rootPid(), id, bundleBytes, phases, connections);
    }

    /** The dump's TCP connections with their sequence numbers, from its tcp-stream images. */
    private List<DumpedConnection> connections(Dumped dump, Hooks hooks) {
        try {
            ImageDir dir = dump.imageDir();
            List<DumpedConnection> out = new ArrayList<>();
            for (InetSocketImage s : dir.inetSockets()) {
                if (!s.isTcp() || s.isListening()) continue;
                Optional<TcpStreamImage> stream = dir.tcpStream(s);
                if (stream.isEmpty()) continue; // not connected
                TcpStreamImage t = stream.get();
                out.add(new DumpedConnection(s.local(), s.remote(), s.state(), t.inqSeq(),
                        Seq.add(t.outqSeq(), -t.unsentLength()), t.sendQueueSeq(s.state().finSent())));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw restoredHere(dump, hooks, "reading the connections of the dump of " + dump.workload().name()
                    + " failed: " + e.getMessage(), e);
        }
    }

    private static String describe(ImageDir dir) {
        List<String> connections = dir.inetSockets().stream().filter(i -> i.isTcp() && !i.isListening())
                .map(i -> StateJson.format(i.local()) + " -> " + StateJson.format(i.remote())).toList();
        return connections.isEmpty() ? "none" : String.join(", ", connections);
    }

    /**
     * Restores a dump that cannot go on here, telling the caller first ({@link Hooks#ROLLBACK}, whose answer cannot
     * stop it), and returns the exception that says so.
     */
    private CheckpointException restoredHere(Dumped dump, Hooks hooks, String why, Exception cause) {
        try {
            hooks.reached(Hooks.ROLLBACK, 0);
        } catch (Exception e) {
            log.warn("the caller did not take the rollback of {} ({}); restoring it anyway", dump.workload().name(),
                    e.getMessage());
        }
        RestoreReport back;
        try {
            back = rollback(dump, Hooks.NONE);
        } catch (RuntimeException rollbackFailed) {
            CheckpointException e = new CheckpointException(why + "; restoring it here failed too: "
                    + rollbackFailed.getMessage(), cause);
            e.addSuppressed(rollbackFailed);
            return e;
        }
        return new CheckpointException(why + "; it was restored here (pid " + back.pid() + ")", cause);
    }

    @Override
    public void release(String dumpId) {
        release(settle(dumpId));
    }

    @Override
    public void commit(String dumpId) {
        commit(settle(dumpId));
    }

    @Override
    public RestoreReport rollback(String dumpId, Hooks hooks) {
        return rollback(settle(dumpId), hooks);
    }

    private Dumped settle(String dumpId) {
        Dumped dump = unsettled.remove(dumpId);
        if (dump == null) throw noUnsettledDump(dumpId);
        return dump;
    }

    private Dumped unsettled(String dumpId) {
        Dumped dump = unsettled.get(dumpId);
        if (dump == null) throw noUnsettledDump(dumpId);
        return dump;
    }

    private CheckpointException noUnsettledDump(String dumpId) {
        return new CheckpointException("no unsettled dump " + dumpId + " on " + keys.hostName()
                + " (settled already, or the agent restarted: its images, if any, are under " + dumpDirs.root() + ")");
    }

    // ---------------------------------------------------------------------------------------------- helpers

    /** What CRIU needs for a workload in a mount namespace cloned from the host's (see Workloads). */
    private static CriuOptions.Builder mountOptions(CriuOptions.Builder b) {
        return b.autoExtMnt(true).extSharing(true).extMasters(true);
    }

    private static Map<InetAddress, InetAddress> parseRewrite(Map<String, String> rewrite) {
        Map<InetAddress, InetAddress> out = new LinkedHashMap<>();
        rewrite.forEach((from, to) -> {
            try {
                out.put(InetAddress.ofLiteral(from), InetAddress.ofLiteral(to));
            } catch (IllegalArgumentException e) {
                throw new CheckpointException("bad address rewrite " + from + "=" + to + ": use IP literals, OLD=NEW");
            }
        });
        return out;
    }

    /**
     * CRIU's notifications during a dump, relayed to {@code hooks}; after pre-dump (when a gateway has frozen the
     * workload's flows) the workload accepts what is queued for it first ({@link AcceptQueues}).
     */
    private CriuNotify dumpNotify(Workload w, Hooks hooks) {
        HookRelay relay = new HookRelay(hooks, w.rootPid());
        return new CriuNotify() {
            @Override
            public void notified(String hook, int pid) throws Exception {
                relay.notified(hook, pid);
                if (hook.equals("pre-dump")) AcceptQueues.awaitAccepted(workloads, w, ACCEPT_WAIT);
            }
        };
    }

    private static ImageDir readDump(Path images) {
        try {
            return ImageDir.open(images);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the sockets of the dump in " + images, e);
        }
    }

    private static List<Manifest.Socket> sockets(ImageDir dir) {
        List<Manifest.Socket> out = new ArrayList<>();
        for (InetSocketImage s : dir.inetSockets()) {
            if (s.isTcp()) out.add(new Manifest.Socket(StateJson.format(s.local()), StateJson.format(s.remote()),
                    s.state().name()));
        }
        return out;
    }

    private static String kernelRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }
}
