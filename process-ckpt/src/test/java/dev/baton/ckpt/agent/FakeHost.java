package dev.baton.ckpt.agent;

import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.WorkloadStatus;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;

/**
 * A {@link HostService} for tests: a dump writes a {@link PseudoBundle} and passes CRIU's dump points; a restore
 * reads the whole bundle, keeps its SHA-256 and passes the restore points. Every step, and every rollback with its
 * reason, is recorded in {@link #events}.
 */
final class FakeHost implements HostService {
    static final String DUMP_ID = "web-dump-1";
    static final long PID = 4242;
    /** Progress is reported every this many bytes. */
    private static final long PROGRESS_STEP = 8 << 20;

    final List<String> events = new CopyOnWriteArrayList<>();
    private final PseudoBundle bundle;
    /** The last requests as the host service received them. */
    volatile DumpRequest dumpRequest;
    volatile RestoreRequest restoreRequest;
    volatile String restoredSha;
    /** When set, a restore fails with this message after reading the bundle. */
    volatile String restoreFailure;
    /** When set, called by a restore with the number of bytes read so far, after each 1 MiB. */
    volatile LongConsumer whileRestoring;
    /** When set, called by a dump with the number of bytes written so far, after each 1 MiB. */
    volatile LongConsumer whileDumping;

    FakeHost(PseudoBundle bundle) {
        this.bundle = bundle;
    }

    @Override
    public HostHealth health() {
        return new HostHealth("local name", "4.2.1", "6.18.0-test", List.of("no soft-dirty tracking"));
    }

    @Override
    public List<WorkloadStatus> workloads() {
        Workload web = new Workload("web", PID, 123456, "web-ns", List.of("python3", "-m", "http.server"),
                Path.of("/var/lib/baton/workloads/web/stdout"), Path.of("/var/lib/baton/workloads/web/stderr"),
                Instant.parse("2026-11-25T10:15:30Z"));
        return List.of(new WorkloadStatus(web, true, 3, List.of(new InetSocketAddress("0.0.0.0", 8000)), 2));
    }

    @Override
    public DumpReport dump(DumpRequest request, OutputStream out, Hooks hooks) throws IOException {
        dumpRequest = request;
        events.add("dump " + request.workload());
        try {
            hooks.reached("network-lock", PID);
            try (InputStream in = bundle.open()) {
                byte[] buf = new byte[1 << 20];
                long done = 0;
                for (int n; (n = in.readNBytes(buf, 0, buf.length)) > 0; ) {
                    out.write(buf, 0, n);
                    done += n;
                    if (done % PROGRESS_STEP == 0 || done == bundle.size()) hooks.progress("seal", done, bundle.size());
                    LongConsumer watcher = whileDumping;
                    if (watcher != null) watcher.accept(done);
                }
            }
            hooks.reached("post-dump", PID);
            events.add("dumped");
            return new DumpReport(request.workload(), PID, DUMP_ID, bundle.size(), Map.of("dump", 1.5));
        } catch (Exception e) {
            events.add("dump rolled back: " + e.getMessage());
            throw e instanceof IOException io ? io : new IOException("dump of " + request.workload() + " failed: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void release(String dumpId) {
        events.add("released " + dumpId);
    }

    @Override
    public void commit(String dumpId) {
        events.add("committed " + dumpId);
    }

    @Override
    public RestoreReport rollback(String dumpId, Hooks hooks) {
        events.add("rolled back " + dumpId);
        return new RestoreReport("web", PID + 2, 0, Map.of("restore", 3.0));
    }

    @Override
    public RestoreReport restore(RestoreRequest request, InputStream in, Hooks hooks) throws IOException {
        restoreRequest = request;
        events.add("restore");
        try {
            PseudoBundle.DigestSink sink = new PseudoBundle.DigestSink();
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.readNBytes(buf, 0, buf.length)) > 0; ) {
                sink.write(buf, 0, n);
                if (sink.count % PROGRESS_STEP == 0) hooks.progress("open", sink.count, -1);
                LongConsumer watcher = whileRestoring;
                if (watcher != null) watcher.accept(sink.count);
            }
            restoredSha = sink.sha256();
            if (restoreFailure != null) throw new IOException(restoreFailure);
            hooks.reached("pre-restore", 0);
            hooks.reached("post-restore", PID + 1);
            events.add("restored");
            return new RestoreReport("web", PID + 1, request.rewrite().size(), Map.of("open", 2.0, "restore", 3.0));
        } catch (Exception e) {
            events.add("restore rolled back: " + e.getMessage());
            throw e instanceof IOException io ? io : new IOException("restore failed: " + e.getMessage(), e);
        }
    }
}
