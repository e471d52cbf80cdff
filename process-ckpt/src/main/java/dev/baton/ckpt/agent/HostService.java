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
     * the workload keeps running untouched.
     */
    DumpReport dump(DumpRequest request, OutputStream bundle, Hooks hooks) throws IOException;

    /**
     * Opens (verifies) a sealed bundle read from {@code bundle} and restores it here. Nothing is restored unless
     * the whole bundle verified.
     */
    RestoreReport restore(RestoreRequest request, InputStream bundle, Hooks hooks) throws IOException;
}
