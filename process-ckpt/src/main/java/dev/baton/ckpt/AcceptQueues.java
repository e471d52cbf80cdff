package dev.baton.ckpt;

import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Gives a workload the time to accept the connections the kernel has queued for it before CRIU freezes it: CRIU
 * refuses to dump a process with connections in flight (completed by the kernel, not accepted yet), so the dump —
 * and a migration — would fail. Behind the gateway no new connection reaches the workload once its flows are
 * frozen (at CRIU's pre-dump), so the queues only drain; a responsive workload takes them within milliseconds.
 */
final class AcceptQueues {
    private static final Logger log = LoggerFactory.getLogger(AcceptQueues.class);
    private static final Duration POLL = Duration.ofMillis(1);

    private AcceptQueues() {
    }

    /** Waits until the listening sockets of {@code w}'s processes have nothing queued, at most {@code max}. */
    static void awaitAccepted(Workloads workloads, Workload w, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        try {
            int pending;
            while ((pending = workloads.pendingAccepts(w)) > 0) {
                if (System.nanoTime() > deadline) {
                    log.warn("{} did not accept {} queued connection(s) within {} ms: CRIU will refuse to dump it "
                            + "(connections in flight), and it keeps running", w.name(), pending, max.toMillis());
                    return;
                }
                Thread.sleep(POLL);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // Only connections not yet accepted are at stake; the dump goes on and CRIU says what it finds.
            log.warn("could not read the accept queues of {}: {}", w.name(), e.getMessage());
        }
    }
}
