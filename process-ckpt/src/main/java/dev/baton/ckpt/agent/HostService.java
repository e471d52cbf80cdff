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
 * <p>A dump is made in one of two ways, and is then settled with exactly one of {@link #release},
 * {@link #commit} or {@link #rollback}:
 * <pre>
 *   dump(request, bundle)            dump and seal in one go (DUMP, SHIP)
 *   checkpoint(request)              dump and keep the images here, stream nothing (CHECKPOINT) ─┐
 *     syncSendQueues(dumpId, sync)   trim send queues to what the far ends have     (optional) ←─┤
 *     seal(dumpId, bundle)           then seal the kept images                                 ←─┘
 * </pre>
 *
 * <p>Failures are thrown as exceptions whose message is meant for the user at the other end; an implementation
 * leaves nothing half-done behind when it throws (no CRIU lock rules, no half-restored processes). The methods of
 * the two-step form have defaults that refuse, for host services that only dump in one go.
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

    /**
     * Checkpoints a workload and keeps its images on this host under {@link DumpReport#dumpId()}, streaming
     * nothing ({@link DumpReport#bundleBytes()} 0); the report lists the dump's connections. If the dump fails, the
     * workload keeps running untouched. The dump stays until it is {@link #seal sealed} and settled, or settled
     * directly ({@link #commit}, {@link #rollback}).
     */
    default DumpReport checkpoint(DumpRequest request, Hooks hooks) throws IOException {
        throw new UnsupportedOperationException(unsupported("keep a dump without streaming it (CHECKPOINT)"));
    }

    /**
     * Trims the send queue of each listed connection of a kept dump to what its far end has received, in the
     * images, before they are sealed. Every entry is looked up first: when one names no connection of the dump,
     * nothing changes and the exception names it. The dump stays kept either way.
     */
    default List<SyncedSendQueue> syncSendQueues(String dumpId, List<SendQueueSync> sync) {
        throw new UnsupportedOperationException(unsupported("trim the send queues of a kept dump"));
    }

    /**
     * Seals a kept dump's images into {@code bundle} and returns the bundle's size. The images stay: if the bundle
     * does not get where it is going, {@link #rollback} still works.
     */
    default long seal(String dumpId, OutputStream bundle, Hooks hooks) throws IOException {
        throw new UnsupportedOperationException(unsupported("seal a kept dump"));
    }

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

    private String unsupported(String what) {
        String name = getClass().getSimpleName().isEmpty() ? getClass().getName() : getClass().getSimpleName();
        return "host service " + name + " cannot " + what;
    }
}
