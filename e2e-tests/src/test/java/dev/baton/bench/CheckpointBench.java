package dev.baton.bench;

import dev.baton.ckpt.Checkpointer;
import dev.baton.ckpt.agent.Hooks;
import dev.baton.ckpt.agent.RestoreReport;
import dev.baton.ckpt.agent.RestoreRequest;
import dev.baton.ckpt.bundle.BundleReader;
import dev.baton.ckpt.bundle.BundleWriter;
import dev.baton.ckpt.bundle.Manifest;
import dev.baton.ckpt.bundle.Progress;
import dev.baton.ckpt.criu.CriuClient;
import dev.baton.ckpt.criu.CriuLaunch;
import dev.baton.ckpt.criu.CriuNotify;
import dev.baton.ckpt.criu.CriuOptions;
import dev.baton.ckpt.criu.CriuOptions.NetworkLock;
import dev.baton.ckpt.criu.DumpResult;
import dev.baton.ckpt.criu.DumpStats;
import dev.baton.ckpt.criu.RestoreResult;
import dev.baton.ckpt.criu.RestoreStats;
import dev.baton.bench.CheckpointLab.CliRun;
import dev.baton.bench.CheckpointLab.Started;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * The process-ckpt benchmark behind BENCHMARKS.md ({@code scripts/bench-ckpt.sh}). Every figure is set against a
 * baseline measured in the same run, on the same workloads and images:
 * <ol>
 *   <li>{@code dump}: dump and restore time against workload RSS — Baton's RPC path ({@code criu swrk} started
 *       and asked its version before the freeze, then dump; the same for restore) against {@code criu dump} /
 *       {@code criu restore} on the command line with the same options; and Baton's whole
 *       {@code Checkpointer.checkpoint} + {@code seal} + {@code restore(bundle)} onto host b with the address
 *       rewritten.</li>
 *   <li>{@code bundle}: sealing an image directory into a bundle file and opening it, against copying the same
 *       directory ({@code Files.copy}, {@code cp -r}, a user-space stream copy); real images from figure 1. Also
 *       one seal and one open each in a fresh JVM, as the {@code baton ckpt} commands run (AES-GCM not compiled
 *       yet).</li>
 *   <li>{@code ship}: dump + seal streamed over loopback TCP to a receiver that opens the bundle into a directory,
 *       against dump + a plain copy of the same files over the same kind of connection.</li>
 * </ol>
 * Workloads: {@code sleep} (the smallest process there is) for size 1, else Python holding N MiB it has written;
 * each holds one established TCP connection to a peer host. A workload is started anew for every dump (a dump
 * ends it), in its own PID and mount namespace on host a of a lab; lanes take turns going first.
 * <pre>
 *   args: [--sizes 1,100,1024 (MiB)] [--runs 5] [--large-runs 3 (for ≥ 1 GiB)] [--dir DIR (default /tmp)]
 *         [--figures dump,bundle,ship]
 * </pre>
 */
public final class CheckpointBench {
    private static final int LARGE_MIB = 1024;
    /** Figure 2 times copies of real images; below this they take too little time to say anything. */
    private static final int BUNDLE_MIN_MIB = 64;
    private static final double MIB = 1 << 20;

    private final CheckpointLab lab;
    private final Options options;
    private final LoopbackShip ship;
    private final Map<Integer, SizeResult> results = new LinkedHashMap<>();
    private final List<Double> spawnMs = new ArrayList<>();
    /** The JDK's AES-256-GCM and SHA-256 MB/s here, measured with figure 2: what sealing is made of. */
    private double[] primitives;
    private String criuVersion = "?";

    /** The command line. */
    record Options(int[] sizes, int runs, int largeRuns, Path dir, Set<String> figures) {
        static Options parse(String[] args) {
            int[] sizes = {1, 100, 1024};
            int runs = 5, largeRuns = 3;
            Path dir = Path.of("/tmp");
            Set<String> figures = new LinkedHashSet<>(List.of("dump", "bundle", "ship"));
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                if (value == null) throw new IllegalArgumentException("no value after " + args[i]);
                switch (args[i]) {
                    case "--sizes" -> sizes = Arrays.stream(value.split(",")).mapToInt(Integer::parseInt).toArray();
                    case "--runs" -> runs = Integer.parseInt(value);
                    case "--large-runs" -> largeRuns = Integer.parseInt(value);
                    case "--dir" -> dir = Path.of(value);
                    case "--figures" -> figures = new LinkedHashSet<>(List.of(value.split(",")));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]
                            + " (--sizes, --runs, --large-runs, --dir, --figures dump,bundle,ship)");
                }
                i++;
            }
            if (!Set.of("dump", "bundle", "ship").containsAll(figures)) {
                throw new IllegalArgumentException("--figures takes dump, bundle and ship, not " + figures);
            }
            return new Options(sizes, runs, largeRuns, dir, figures);
        }

        int runsFor(int mib) {
            return mib >= LARGE_MIB ? largeRuns : runs;
        }
    }

    // ---- what one run measures ----

    /**
     * CRIU's dump and restore of one workload, by one of the two paths. Critical = end to end for the CLI.
     * {@code *ProbeMs}: how long CRIU probed the kernel before it started on the process, from its own log.
     */
    record RawRun(double rssMiB, double imageMiB, double dumpMs, double dumpCriticalMs, double frozenMs,
                  double dumpProbeMs, double restoreMs, double restoreCriticalMs, double criuRestoreMs,
                  double restoreProbeMs) {}

    /** Baton's whole path: checkpoint on a, seal into a file, restore(bundle) on b with the address rewritten. */
    record BatonRun(double checkpointMs, double dumpPhaseMs, double sealMs, double bundleMiB, double restoreMs,
                    double openMs, double criuRestorePhaseMs) {
        double totalMs() {
            return checkpointMs + sealMs + restoreMs;
        }
    }

    /** One round of figure 2 on a kept image directory. */
    record CopyRound(double filesCopyMs, double cpMs, double streamCopyMs, double sealMs, double openMs,
                     double coldSealMs, double coldOpenMs) {}

    /** Dump, then ship the images to the receiver. */
    record ShipRun(double dumpMs, double shipMs, double imageMiB) {
        double totalMs() {
            return dumpMs + shipMs;
        }
    }

    /** Everything measured for one workload size. */
    static final class SizeResult {
        final List<RawRun> rpc = new ArrayList<>();
        final List<RawRun> cli = new ArrayList<>();
        final List<BatonRun> baton = new ArrayList<>();
        final List<CopyRound> copies = new ArrayList<>();
        final List<ShipRun> plainShip = new ArrayList<>();
        final List<ShipRun> sealedShip = new ArrayList<>();
        long copiedBytes;
    }

    private CheckpointBench(CheckpointLab lab, Options options) throws IOException {
        this.lab = lab;
        this.options = options;
        this.ship = new LoopbackShip();
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        try (CheckpointLab lab = CheckpointLab.create(options.dir())) {
            new CheckpointBench(lab, options).run();
        }
    }

    private void run() throws Exception {
        try (ship) {
            printMachine();
            warmUp();
            for (int mib : options.sizes()) {
                SizeResult r = new SizeResult();
                results.put(mib, r);
                Path kept = null;
                try {
                    if (options.figures().contains("dump")) kept = dumpFigure(mib, r);
                    if (options.figures().contains("bundle") && mib >= BUNDLE_MIN_MIB) {
                        if (kept == null) kept = imagesOf(mib);
                        bundleFigure(mib, kept, r);
                    }
                } finally {
                    CheckpointLab.deleteTree(kept);
                }
                if (options.figures().contains("ship")) shipFigure(mib, r);
                lab.reportLeftoverLocks();
            }
            System.out.println("load average at the end: " + loadAverage());
            printTables();
        }
    }

    // ---- figure 1: dump and restore against RSS ----

    /** Returns the images of the last RPC run when figure 2 will want them, else null. */
    private Path dumpFigure(int mib, SizeResult r) throws Exception {
        int runs = options.runsFor(mib);
        boolean keep = options.figures().contains("bundle") && mib >= BUNDLE_MIN_MIB;
        Path kept = null;
        for (int run = 1; run <= runs; run++) {
            spawnMs.add(CheckpointLab.spawnMs(lab.a()));
            for (int lane = 0; lane < 3; lane++) {
                switch ((lane + run) % 3) {
                    case 0 -> {
                        Path images = lab.newDir("rpc-" + mib + "-" + run);
                        try {
                            RawRun x = rpcRun("rpc-" + mib + "-" + run, mib, images);
                            r.rpc.add(x);
                            printRaw(mib, run, "rpc", x);
                        } finally {
                            if (keep && run == runs) kept = images;
                            else CheckpointLab.deleteTree(images);
                        }
                    }
                    case 1 -> {
                        Path images = lab.newDir("cli-" + mib + "-" + run);
                        try {
                            RawRun x = cliRun("cli-" + mib + "-" + run, mib, images);
                            r.cli.add(x);
                            printRaw(mib, run, "cli", x);
                        } finally {
                            CheckpointLab.deleteTree(images);
                        }
                    }
                    default -> {
                        BatonRun x = batonRun("baton-" + mib + "-" + run, mib);
                        r.baton.add(x);
                        System.out.printf(Locale.ROOT, "%5d MiB run %d baton: checkpoint %.1f ms (dump %.1f), seal %.1f ms"
                                        + " (%.1f MiB), restore(bundle) %.1f ms (open %.1f, CRIU restore %.1f), total %.1f ms%n",
                                mib, run, x.checkpointMs(), x.dumpPhaseMs(), x.sealMs(), x.bundleMiB(), x.restoreMs(),
                                x.openMs(), x.criuRestorePhaseMs(), x.totalMs());
                    }
                }
            }
        }
        return kept;
    }

    private static void printRaw(int mib, int run, String lane, RawRun x) {
        System.out.printf(Locale.ROOT, "%5d MiB run %d %-5s: RSS %.1f MiB, image %.1f MiB; dump %.1f ms (critical %.1f,"
                        + " probing %.1f, frozen %.1f); restore %.1f ms (critical %.1f, probing %.1f, CRIU %.1f)%n", mib,
                run, lane, x.rssMiB(), x.imageMiB(), x.dumpMs(), x.dumpCriticalMs(), x.dumpProbeMs(), x.frozenMs(),
                x.restoreMs(), x.restoreCriticalMs(), x.restoreProbeMs(), x.criuRestoreMs());
    }

    /**
     * Milliseconds from CRIU's first log line to the end of its kernel probing (kerndat, whose last step logs
     * "files stat: fs/nr_open"): work that swrk, too, does only once the request has arrived (cr-service.c calls
     * kerndat_init when it sets up a request's options). With the kdat cache (a tmpfs that install-deps mounts for
     * the CRIU it builds) the probing is replaced by loading the cache: then up to "Loaded kdat cache".
     */
    static double probeMs(Path log) {
        try (Stream<String> lines = Files.lines(log)) {
            return lines.filter(l -> (l.contains("files stat: fs/nr_open") || l.contains("Loaded kdat cache"))
                            && l.startsWith("(")).findFirst()
                    .map(l -> Double.parseDouble(l.substring(1, l.indexOf(')'))) * 1000).orElse(Double.NaN);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The options Baton uses for a workload of {@code Workloads} (own mount namespace). */
    private static CriuOptions.Builder baseOptions(Path images) {
        return CriuOptions.builder(images).autoExtMnt(true).extSharing(true).extMasters(true).tcpEstablished(true)
                .networkLock(NetworkLock.NFTABLES).logLevel(4);
    }

    /**
     * Baton's RPC path: swrk started and asked its version (not on the critical path), then the dump; the same for
     * the restore, into the namespace it came from. End to end = start + version + request + reaping swrk.
     */
    private RawRun rpcRun(String name, int mib, Path images) throws Exception {
        Started s = lab.start(name, mib);
        try {
            CriuLaunch launch = CriuLaunch.defaults().inNetns(lab.a().netns().path());
            CriuOptions dumpOptions = baseOptions(images).pid(s.pid()).build();
            Swrk<DumpResult> dump = swrk(launch.withOutput(images.resolve("criu-dump.out")),
                    criu -> criu.dump(dumpOptions, CriuNotify.NONE));
            double imageMiB = CheckpointLab.size(images) / MIB;

            CriuOptions restoreOptions = baseOptions(images).root("/").build();
            Swrk<RestoreResult> restore = swrk(launch.withOutput(images.resolve("criu-restore.out")),
                    criu -> criu.restore(restoreOptions, CriuNotify.NONE));
            RestoreResult restored = restore.result();
            lab.restored(s.workload(), restored.pid(), lab.a());
            return new RawRun(s.rssMiB(), imageMiB, dump.endToEndMs(), dump.criticalMs(),
                    dump.result().stats().map(DumpStats::frozen).map(d -> d.toNanos() / 1e6).orElse(Double.NaN),
                    probeMs(dump.result().log()), restore.endToEndMs(), restore.criticalMs(),
                    restored.stats().map(RestoreStats::restore).map(d -> d.toNanos() / 1e6).orElse(Double.NaN),
                    probeMs(restored.log()));
        } finally {
            lab.stop(name);
        }
    }

    /** One request to CRIU over swrk, timed end to end and on the critical path (the request alone). */
    private record Swrk<T>(T result, double endToEndMs, double criticalMs) {}

    /**
     * After {@code sync}: starts {@code criu swrk}, asks its version (not on the critical path), sends
     * {@code request}, and reaps swrk. End to end = start + version + request + reaping.
     */
    private static <T> Swrk<T> swrk(CriuLaunch launch, Function<CriuClient, T> request) {
        CheckpointLab.sync();
        long t0 = System.nanoTime(), t1, t2;
        T result;
        try (CriuClient criu = CriuClient.start(launch)) {
            criu.version();
            t1 = System.nanoTime();
            result = request.apply(criu);
            t2 = System.nanoTime();
        }
        return new Swrk<>(result, ms(t0, System.nanoTime()), ms(t1, t2));
    }

    /** {@code criu dump} and {@code criu restore -d} on the command line, same options, same namespace. */
    private RawRun cliRun(String name, int mib, Path images) throws Exception {
        Started s = lab.start(name, mib);
        try {
            List<String> common = new ArrayList<>(List.of("-D", images.toString(), "-v4", "--tcp-established",
                    "--network-lock", "nftables", "--display-stats"));
            common.addAll(CheckpointLab.MOUNT_OPTIONS);
            List<String> dumpArgs = new ArrayList<>(List.of("dump", "-t", Long.toString(s.pid()), "-o", "dump.log"));
            dumpArgs.addAll(common);
            CheckpointLab.sync();
            CliRun dump = CheckpointLab.criu(lab.a(), images.resolve("dump.log"), dumpArgs);
            double imageMiB = CheckpointLab.size(images) / MIB;

            Path pidFile = images.resolve("restored.pid");
            List<String> restoreArgs = new ArrayList<>(List.of("restore", "-o", "restore.log", "--root", "/", "-d",
                    "--pidfile", pidFile.toString()));
            restoreArgs.addAll(common);
            CheckpointLab.sync();
            CliRun restore = CheckpointLab.criu(lab.a(), images.resolve("restore.log"), restoreArgs);
            lab.restored(s.workload(), Long.parseLong(Files.readString(pidFile).strip()), lab.a());
            return new RawRun(s.rssMiB(), imageMiB, dump.wallMs(), dump.wallMs(), dump.statMs("Frozen time"),
                    probeMs(images.resolve("dump.log")), restore.wallMs(), restore.wallMs(),
                    restore.statMs("Restore time"), probeMs(images.resolve("restore.log")));
        } finally {
            lab.stop(name);
        }
    }

    /** Baton's whole path, as {@code baton ckpt dump} then {@code baton ckpt restore --rewrite} on b do it. */
    private BatonRun batonRun(String name, int mib) throws Exception {
        lab.start(name, mib);
        Checkpointer source = lab.source();
        Checkpointer.Dumped dump = null;
        Path bundle = lab.work().resolve(name + ".bundle");
        try {
            CheckpointLab.sync();
            long t0 = System.nanoTime();
            dump = source.checkpoint(name, false, Hooks.NONE);
            long t1 = System.nanoTime();
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(bundle), 1 << 16)) {
                source.seal(dump, out, Hooks.NONE);
            }
            long t2 = System.nanoTime();
            RestoreRequest request = new RestoreRequest(Map.of(lab.a().address().getHostAddress(),
                    lab.b().address().getHostAddress()), lab.b().nsName(), false);
            CheckpointLab.sync();
            long t3 = System.nanoTime();
            RestoreReport restored;
            try (InputStream in = Files.newInputStream(bundle)) {
                restored = lab.target().restore(request, in, Hooks.NONE);
            }
            long t4 = System.nanoTime();
            if (restored.rewrittenSockets() < 1) {
                throw new IllegalStateException("the restore of " + name + " rewrote no socket: " + restored);
            }
            return new BatonRun(ms(t0, t1), dump.phasesMs().getOrDefault("dump", Double.NaN), ms(t1, t2),
                    Files.size(bundle) / MIB, ms(t3, t4), restored.phasesMs().getOrDefault("open", Double.NaN),
                    restored.phasesMs().getOrDefault("restore", Double.NaN));
        } finally {
            if (dump != null) source.commit(dump);
            Files.deleteIfExists(bundle);
            lab.stop(name);
        }
    }

    // ---- figure 2: bundle against a plain copy ----

    /** Images for figure 2 when figure 1 did not run: one RPC dump, not reported. */
    private Path imagesOf(int mib) throws Exception {
        Path images = lab.newDir("images-" + mib);
        try {
            rpcRun("images-" + mib, mib, images);
            return images;
        } catch (Exception | Error e) {
            CheckpointLab.deleteTree(images);
            throw e;
        }
    }

    private void bundleFigure(int mib, Path images, SizeResult r) throws Exception {
        if (primitives == null) primitives = primitivesMBps();
        r.copiedBytes = CheckpointLab.size(images);
        Manifest partial = Manifest.of(criuVersion, System.getProperty("os.version"), null, List.of());
        copyRound(images, partial, false); // warm-up: the page cache and every path once
        for (int round = 1; round <= options.runsFor(mib); round++) {
            CopyRound c = copyRound(images, partial, true);
            r.copies.add(c);
            System.out.printf(Locale.ROOT, "%5d MiB round %d bundle: %.1f MiB, Files.copy %.1f ms, cp -r %.1f ms, stream"
                            + " copy %.1f ms, seal %.1f ms, open %.1f ms; in a fresh JVM: seal %.1f ms, open %.1f ms%n",
                    mib, round, r.copiedBytes / MIB, c.filesCopyMs(), c.cpMs(), c.streamCopyMs(), c.sealMs(),
                    c.openMs(), c.coldSealMs(), c.coldOpenMs());
        }
    }

    /** One of each step; {@code cold}: also a seal and an open each in a fresh JVM ({@link ColdBundle}). */
    private CopyRound copyRound(Path images, Manifest partial, boolean cold) throws Exception {
        List<Path> files = CheckpointLab.files(images);
        Path copy = lab.work().resolve("copy");
        Path bundle = lab.work().resolve("copy.bundle");
        try {
            CheckpointLab.sync();
            long t0 = System.nanoTime();
            Files.createDirectory(copy);
            for (Path f : files) Files.copy(f, copy.resolve(f.getFileName()));
            double filesCopy = ms(t0, System.nanoTime());
            CheckpointLab.deleteTree(copy);

            CheckpointLab.sync();
            t0 = System.nanoTime();
            Process cp = new ProcessBuilder("cp", "-r", images.toString(), copy.toString()).inheritIO().start();
            if (cp.waitFor() != 0) throw new IllegalStateException("cp -r " + images + " failed: exit " + cp.exitValue());
            double cpMs = ms(t0, System.nanoTime());
            CheckpointLab.deleteTree(copy);

            CheckpointLab.sync();
            t0 = System.nanoTime();
            Files.createDirectory(copy);
            byte[] buffer = new byte[1 << 20];
            for (Path f : files) {
                try (InputStream in = Files.newInputStream(f);
                     OutputStream out = Files.newOutputStream(copy.resolve(f.getFileName()))) {
                    for (int n; (n = in.read(buffer)) > 0; ) out.write(buffer, 0, n);
                }
            }
            double stream = ms(t0, System.nanoTime());
            CheckpointLab.deleteTree(copy);

            CheckpointLab.sync();
            t0 = System.nanoTime();
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(bundle), 1 << 16)) {
                BundleWriter.seal(images, partial, lab.keysA(), out, Progress.NONE);
            }
            double seal = ms(t0, System.nanoTime());

            CheckpointLab.sync();
            t0 = System.nanoTime();
            try (InputStream in = Files.newInputStream(bundle)) {
                BundleReader.open(in, lab.keysB(), copy, Progress.NONE);
            }
            double open = ms(t0, System.nanoTime());
            CheckpointLab.deleteTree(copy);
            if (!cold) return new CopyRound(filesCopy, cpMs, stream, seal, open, Double.NaN, Double.NaN);

            Files.delete(bundle);
            CheckpointLab.sync();
            double coldSeal = ColdBundle.inFreshJvm("seal", images.toString(), lab.keysA().dir().toString(),
                    bundle.toString());
            CheckpointLab.sync();
            double coldOpen = ColdBundle.inFreshJvm("open", bundle.toString(), lab.keysB().dir().toString(),
                    copy.toString());
            return new CopyRound(filesCopy, cpMs, stream, seal, open, coldSeal, coldOpen);
        } finally {
            CheckpointLab.deleteTree(copy);
            Files.deleteIfExists(bundle);
        }
    }

    /**
     * The JDK's own AES-256-GCM (encrypt, one doFinal per MiB, as a bundle's chunks) and SHA-256 throughput on this
     * machine, the best of several rounds of 128 MiB (the first rounds run before the JIT has compiled them).
     */
    private static double[] primitivesMBps() throws Exception {
        byte[] data = new byte[1 << 20];
        new Random(2).nextBytes(data);
        byte[] out = new byte[data.length + 16];
        SecretKey key = new SecretKeySpec(new byte[32], "AES");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        double aes = 0, hash = 0;
        for (int round = 0; round < 6; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 128; i++) {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                byte[] iv = ByteBuffer.allocate(12).putInt(round).putInt(i).array();
                c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
                c.doFinal(data, 0, data.length, out, 0);
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < 128; i++) sha.update(data);
            sha.digest();
            long t2 = System.nanoTime();
            aes = Math.max(aes, 128 * MIB / 1e6 / ((t1 - t0) / 1e9));
            hash = Math.max(hash, 128 * MIB / 1e6 / ((t2 - t1) / 1e9));
        }
        return new double[]{aes, hash};
    }

    // ---- figure 3: dump and ship ----

    private void shipFigure(int mib, SizeResult r) throws Exception {
        for (int run = 1; run <= options.runsFor(mib); run++) {
            for (int lane = 0; lane < 2; lane++) {
                boolean sealed = (lane + run) % 2 == 0;
                ShipRun x = shipRun((sealed ? "sealed-" : "plain-") + mib + "-" + run, mib, sealed);
                (sealed ? r.sealedShip : r.plainShip).add(x);
                System.out.printf(Locale.ROOT, "%5d MiB run %d ship %-6s: %.1f MiB, dump %.1f ms + ship %.1f ms = %.1f ms%n",
                        mib, run, sealed ? "sealed" : "plain", x.imageMiB(), x.dumpMs(), x.shipMs(), x.totalMs());
            }
        }
    }

    private ShipRun shipRun(String name, int mib, boolean sealed) throws Exception {
        lab.start(name, mib);
        Checkpointer source = lab.source();
        Checkpointer.Dumped dump = null;
        Path received = lab.work().resolve(name + "-received");
        try {
            CheckpointLab.sync();
            long t0 = System.nanoTime();
            dump = source.checkpoint(name, false, Hooks.NONE);
            double dumpMs = ms(t0, System.nanoTime());
            double shipMs = sealed ? ship.sealed(source, dump, lab.keysB(), received)
                    : ship.plain(dump.images(), received);
            return new ShipRun(dumpMs, shipMs, CheckpointLab.size(dump.images()) / MIB);
        } finally {
            if (dump != null) source.commit(dump);
            CheckpointLab.deleteTree(received);
            lab.stop(name);
        }
    }

    // ---- warm-up, machine, tables ----

    /**
     * Every path once on the smallest workload, then the bundle paths on 64 MiB until the JIT has compiled them
     * (without it, the first 100 MiB seal through Checkpointer took 1.7 s, the fourth 0.25 s). Printed, never reported.
     */
    private void warmUp() throws Exception {
        Path images = lab.newDir("warm-rpc");
        try {
            rpcRun("warm-rpc", 1, images);
        } finally {
            CheckpointLab.deleteTree(images);
        }
        images = lab.newDir("warm-cli");
        try {
            cliRun("warm-cli", 1, images);
        } finally {
            CheckpointLab.deleteTree(images);
        }
        shipRun("warm-plain", 1, false);
        for (int i = 1; i <= 6; i++) {
            BatonRun b = batonRun("warm-baton-" + i, 64);
            ShipRun sealed = shipRun("warm-sealed-" + i, 64, true);
            System.out.printf(Locale.ROOT, "warm-up %d (64 MiB, not reported): seal %.1f ms, restore(bundle) %.1f ms,"
                    + " sealed ship %.1f ms%n", i, b.sealMs(), b.restoreMs(), sealed.shipMs());
        }
        Path synthetic = lab.newDir("warm-bundle");
        try {
            byte[] block = new byte[1 << 20];
            new Random(1).nextBytes(block);
            try (OutputStream out = Files.newOutputStream(synthetic.resolve("pages-1.img"))) {
                for (int i = 0; i < 64; i++) out.write(block);
            }
            Manifest partial = Manifest.of(criuVersion, System.getProperty("os.version"), null, List.of());
            for (int i = 0; i < 2; i++) copyRound(synthetic, partial, false);
        } finally {
            CheckpointLab.deleteTree(synthetic);
        }
        System.out.println();
    }

    private void printMachine() throws Exception {
        String mem = Files.readAllLines(Path.of("/proc/meminfo")).getFirst().replaceAll("\\s+", " ");
        criuVersion = CheckpointLab.criu(lab.a(), lab.work().resolve("none.log"), List.of("--version")).output()
                .lines().findFirst().orElse("?").replace("Version: ", "").strip();
        System.out.printf(Locale.ROOT, "machine: %d cores, %s, kernel %s, CRIU %s, Java %s%n",
                Runtime.getRuntime().availableProcessors(), mem,
                Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip(), criuVersion,
                Runtime.version());
        System.out.printf(Locale.ROOT, "work dir: %s (%s); /run is %s (CRIU keeps its kernel-probe cache there only on tmpfs)%n",
                lab.work(), Files.getFileStore(lab.work()).type(), Files.getFileStore(Path.of("/run")).type());
        System.out.println("load average at the start: " + loadAverage());
        System.out.printf(Locale.ROOT, "sizes %s MiB, %d runs (%d for ≥ %d MiB), figures %s%n%n",
                Arrays.toString(options.sizes()), options.runs(), options.largeRuns(), LARGE_MIB, options.figures());
    }

    private void printTables() {
        System.out.println();
        if (!spawnMs.isEmpty()) {
            System.out.printf(Locale.ROOT, "Spawning `nsenter --net=… -- /bin/true` from Java (what a command line costs"
                    + " before CRIU runs): median %.1f ms over %d runs%n", median(spawnMs, d -> d), spawnMs.size());
        }
        if (results.values().stream().anyMatch(r -> !r.rpc.isEmpty())) {
            System.out.println();
            System.out.println("Dump (medians; critical path = swrk started and asked its version before the freeze):");
            System.out.println("| workload | RSS MiB | image MiB | runs | `criu dump` CLI ms | RPC, critical path ms | RPC, end to end ms"
                    + " | critical − CLI ms | end to end − CLI ms | CRIU frozen ms, RPC / CLI | CRIU probing the kernel ms, RPC / CLI |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
            results.forEach((mib, r) -> {
                if (r.rpc.isEmpty()) return;
                double cli = median(r.cli, RawRun::dumpMs), crit = median(r.rpc, RawRun::dumpCriticalMs),
                        e2e = median(r.rpc, RawRun::dumpMs);
                System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %d | %.1f | %.1f (%.2f×) | %.1f (%.2f×) | %+.1f | %+.1f | %.1f / %.1f | %.1f / %.1f |%n",
                        label(mib), median(r.rpc, RawRun::rssMiB), median(r.rpc, RawRun::imageMiB), r.rpc.size(), cli, crit, crit / cli,
                        e2e, e2e / cli, crit - cli, e2e - cli, median(r.rpc, RawRun::frozenMs),
                        median(r.cli, RawRun::frozenMs), median(r.rpc, RawRun::dumpProbeMs),
                        median(r.cli, RawRun::dumpProbeMs));
            });
            System.out.println();
            System.out.println("Restore into the namespace it came from (medians):");
            System.out.println("| workload | runs | `criu restore -d` CLI ms | RPC, critical path ms | RPC, end to end ms"
                    + " | critical − CLI ms | end to end − CLI ms | CRIU restore time ms, RPC / CLI | CRIU probing the kernel ms, RPC / CLI |");
            System.out.println("|---|---|---|---|---|---|---|---|---|");
            results.forEach((mib, r) -> {
                if (r.rpc.isEmpty()) return;
                double cli = median(r.cli, RawRun::restoreMs), crit = median(r.rpc, RawRun::restoreCriticalMs),
                        e2e = median(r.rpc, RawRun::restoreMs);
                System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f (%.2f×) | %.1f (%.2f×) | %+.1f | %+.1f | %.1f / %.1f | %.1f / %.1f |%n",
                        label(mib), r.rpc.size(), cli, crit, crit / cli, e2e, e2e / cli, crit - cli, e2e - cli,
                        median(r.rpc, RawRun::criuRestoreMs), median(r.cli, RawRun::criuRestoreMs),
                        median(r.rpc, RawRun::restoreProbeMs), median(r.cli, RawRun::restoreProbeMs));
            });
            System.out.println();
            System.out.println("Baton's whole path: Checkpointer.checkpoint on a + seal to a file + restore(bundle) on b"
                    + " with the address rewritten (medians), against CLI dump + restore of the same size:");
            System.out.println("| workload | runs | checkpoint ms (CRIU dump) | seal ms (bundle MiB) | restore(bundle) ms"
                    + " (open / CRIU restore) | total ms | CLI dump + restore ms | ratio |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            results.forEach((mib, r) -> {
                if (r.baton.isEmpty()) return;
                double total = median(r.baton, BatonRun::totalMs);
                double cli = median(r.cli, x -> x.dumpMs() + x.restoreMs());
                System.out.printf(Locale.ROOT, "| %s | %d | %.1f (%.1f) | %.1f (%.1f) | %.1f (%.1f / %.1f) | %.1f | %.1f | %.2f× |%n",
                        label(mib), r.baton.size(), median(r.baton, BatonRun::checkpointMs),
                        median(r.baton, BatonRun::dumpPhaseMs), median(r.baton, BatonRun::sealMs),
                        median(r.baton, BatonRun::bundleMiB), median(r.baton, BatonRun::restoreMs),
                        median(r.baton, BatonRun::openMs), median(r.baton, BatonRun::criuRestorePhaseMs), total, cli,
                        total / cli);
            });
        }
        if (results.values().stream().anyMatch(r -> !r.copies.isEmpty())) {
            System.out.println();
            System.out.println("Bundle against a plain copy of the same image directory, page cache, no fsync (medians; MB/s"
                    + " of image bytes; × = time against Files.copy):");
            System.out.printf(Locale.ROOT, "The JDK here, 1 MiB at a time: AES-256-GCM %.0f MB/s, SHA-256 %.0f MB/s%n",
                    primitives[0], primitives[1]);
            System.out.println("| image | rounds | Files.copy ms (MB/s) | cp -r ms | stream copy, 1 MiB buffer ms | seal → file ms"
                    + " (MB/s, ×) | open file → dir ms (MB/s, ×) | seal / open in a fresh JVM ms |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            results.forEach((mib, r) -> {
                if (r.copies.isEmpty()) return;
                double mb = r.copiedBytes / 1e6;
                double copy = median(r.copies, CopyRound::filesCopyMs), seal = median(r.copies, CopyRound::sealMs),
                        open = median(r.copies, CopyRound::openMs);
                System.out.printf(Locale.ROOT, "| %.1f MiB (%s) | %d | %.1f (%.0f) | %.1f | %.1f | %.1f (%.0f, %.2f×) | %.1f (%.0f, %.2f×) | %.0f / %.0f |%n",
                        r.copiedBytes / MIB, label(mib), r.copies.size(), copy, mb / (copy / 1e3),
                        median(r.copies, CopyRound::cpMs), median(r.copies, CopyRound::streamCopyMs), seal,
                        mb / (seal / 1e3), seal / copy, open, mb / (open / 1e3), open / copy,
                        median(r.copies, CopyRound::coldSealMs), median(r.copies, CopyRound::coldOpenMs));
            });
        }
        if (results.values().stream().anyMatch(r -> !r.sealedShip.isEmpty())) {
            System.out.println();
            System.out.println("Dump and ship over loopback TCP into a directory on the receiver (medians): plain copy of the"
                    + " files against seal → open (encrypted, signed, verified):");
            System.out.println("| workload | image MiB | runs | dump + plain ship ms (dump / ship) | dump + sealed ship ms"
                    + " (dump / ship) | sealing adds, end to end | ship alone, sealed / plain |");
            System.out.println("|---|---|---|---|---|---|---|");
            results.forEach((mib, r) -> {
                if (r.sealedShip.isEmpty()) return;
                double plain = median(r.plainShip, ShipRun::totalMs), sealed = median(r.sealedShip, ShipRun::totalMs);
                double plainShip = median(r.plainShip, ShipRun::shipMs), sealedShip = median(r.sealedShip, ShipRun::shipMs);
                System.out.printf(Locale.ROOT, "| %s | %.1f | %d | %.1f (%.1f / %.1f) | %.1f (%.1f / %.1f) | %+.1f %% | %.2f× |%n",
                        label(mib), median(r.sealedShip, ShipRun::imageMiB), r.sealedShip.size(), plain,
                        median(r.plainShip, ShipRun::dumpMs), plainShip, sealed, median(r.sealedShip, ShipRun::dumpMs),
                        sealedShip, (sealed / plain - 1) * 100, sealedShip / plainShip);
            });
        }
    }

    /** Other work on the machine skews every figure: the load average is printed with them. */
    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    private static String label(int mib) {
        if (mib <= 1) return "sleep (≈ 1 MiB)";
        return mib >= 1024 && mib % 1024 == 0 ? (mib / 1024) + " GiB" : mib + " MiB";
    }

    private static double ms(long fromNanos, long toNanos) {
        return (toNanos - fromNanos) / 1e6;
    }

    static <T> double median(List<T> rows, ToDoubleFunction<T> f) {
        double[] v = rows.stream().mapToDouble(f).sorted().toArray();
        if (v.length == 0) return Double.NaN;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
