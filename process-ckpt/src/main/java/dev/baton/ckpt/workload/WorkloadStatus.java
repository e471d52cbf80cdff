package dev.baton.ckpt.workload;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * What {@code baton ps} shows of a workload right now.
 *
 * @param running     its recorded root process is alive (same PID, same start time)
 * @param processes   processes in its tree (0 when not running)
 * @param listening   TCP listening addresses of the tree
 * @param established established TCP connections of the tree
 */
public record WorkloadStatus(Workload workload, boolean running, int processes, List<InetSocketAddress> listening,
                             int established) {
    public WorkloadStatus {
        listening = List.copyOf(listening);
    }
}
