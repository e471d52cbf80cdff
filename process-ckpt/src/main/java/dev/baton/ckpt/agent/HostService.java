package dev.baton.ckpt.agent;

import dev.baton.ckpt.workload.WorkloadStatus;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * What an agent does on its own host. The agent only carries these calls over mutually authenticated TLS; the
 * checkpoint logic lives behind this interface (process-ckpt's {@code Checkpointer}).
 *
 * <p>Failures are thrown as exceptions whose message is meant for the user at the other end; an implementation
 * leaves nothing half-done behind when it throws (no CRIU lock rules, no half-restored processes).
 */
public interface HostService {
    HostHealth health();

    List<WorkloadStatus> workloads();

    /**
     * Checkpoints a workload and writes its sealed bundle to {@code bundle} as it is produced. If the dump fails,
     * the workload keeps running untouched. If the bundle cannot be written, the workload is restored here at
     * once. On success its images stay on this host under {@link DumpReport#dumpId()} until the caller settles
     * the dump with exactly one of {@link #release}, {@link #commit} or {@link #rollback}.
     */
    DumpReport dump(DumpRequest request, OutputStream bundle, Hooks hooks) throws IOException;

    /** The bundle reached its holder: drop the dump's images. CRIU's lock on its connections stays (see commit). */
    void release(String dumpId);

    /** The workload now runs on another host: drop the dump's images and release CRIU's lock on its connections. */
    void commit(String dumpId);

    /** The workload did not make it elsewhere: restore it here from the dump's images, as it was. */
    RestoreReport rollback(String dumpId, Hooks hooks);

    /**
     * Opens (verifies) a sealed bundle read from {@code bundle} and restores it here. Nothing is restored unless
     * the whole bundle verified.
     */
    RestoreReport restore(RestoreRequest request, InputStream bundle, Hooks hooks) throws IOException;
}
