package dev.baton.ckpt.agent;

import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.WorkloadStatus;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpState;

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
 * A {@link HostService} for tests: a dump writes a {@link PseudoBundle} and passes CRIU's dump points; a checkpoint
 * keeps a dump with one {@link #CONNECTION}, which a seal writes as the bundle; a restore reads the whole bundle,
 * keeps its SHA-256 and passes the restore points; a rollback passes post-restore. Every step, and every rollback with its
 * reason, is recorded in {@link #events}.
 */
final class FakeHost implements HostService {
    static final String DUMP_ID = "web-dump-1";
    static final long PID = 4242;
    /** The one connection of its dumps. */
    static final DumpedConnection CONNECTION = new DumpedConnection(StateJson.parseAddress("198.18.0.1:7000"),
            StateJson.parseAddress("198.18.0.3:41234"), TcpState.ESTABLISHED, 1_000_000L, 2_000_500L, 2_000_000L);
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
            writeBundle(out, hooks);
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
    public DumpReport checkpoint(DumpRequest request, Hooks hooks) throws IOException {
        dumpRequest = request;
        events.add("checkpoint " + request.workload());
        try {
            hooks.reached("network-lock", PID);
            hooks.reached("post-dump", PID);
        } catch (Exception e) {
            events.add("checkpoint failed, still running: " + e.getMessage());
            throw new IOException("dump of " + request.workload() + " failed: " + e.getMessage(), e);
        }
        events.add("kept " + DUMP_ID);
        return new DumpReport(request.workload(), PID, DUMP_ID, 0, Map.of("dump", 1.5), List.of(CONNECTION));
    }

    @Override
    public List<SyncedSendQueue> syncSendQueues(String dumpId, List<SendQueueSync> sync) {
        for (SendQueueSync s : sync) {
            if (!CONNECTION.is(s)) throw new IllegalArgumentException("no connection " + s.describe() + " in " + dumpId);
        }
        List<SyncedSendQueue> synced = sync.stream()
                .map(s -> new SyncedSendQueue(s, s.farEndRcvNxt() - CONNECTION.sndUna(), CONNECTION.sndNxt() - s.farEndRcvNxt()))
                .toList();
        synced.forEach(s -> events.add("synced " + s.sync().describe() + " to " + s.sync().farEndRcvNxt()));
        return synced;
    }

    @Override
    public long seal(String dumpId, OutputStream out, Hooks hooks) throws IOException {
        try {
            writeBundle(out, hooks);
        } catch (IOException e) {
            events.add("seal failed: " + e.getMessage());
            throw e;
        }
        events.add("sealed " + dumpId);
        return bundle.size();
    }

    private void writeBundle(OutputStream out, Hooks hooks) throws IOException {
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
    }

    /**
     * {@link #events} once {@code last} is among them, waiting up to 5 s: the source of a ship commits right after
     * it answered, so a caller may hear the answer first.
     */
    List<String> eventsUntil(String last) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!events.contains(last) && System.nanoTime() < deadline) Thread.sleep(5);
        return List.copyOf(events);
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
        try {
            hooks.reached("post-restore", PID + 2);
        } catch (Exception e) { // as a real restore does: a hook that throws fails it
            events.add("rollback failed: " + e.getMessage());
            throw new IllegalStateException("restoring web here failed: " + e.getMessage(), e);
        }
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
