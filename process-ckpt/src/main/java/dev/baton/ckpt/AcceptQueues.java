package dev.baton.ckpt;

import dev.baton.ckpt.workload.Workload;
import dev.baton.socket.ProcessSockets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Gives a workload the time to accept the connections the kernel has queued for it before CRIU freezes it: CRIU
 * does not dump a listening socket's accept queue, so a connection still queued would be lost (its peer reset).
 * Behind the gateway no new connection reaches the workload once the flows are frozen (CRIU's pre-dump), so the
 * queues only drain; a responsive workload takes what is queued within a millisecond.
 */
final class AcceptQueues {
    private static final Logger log = LoggerFactory.getLogger(AcceptQueues.class);
    private static final Duration POLL = Duration.ofMillis(1);

    private AcceptQueues() {
    }

    /** Waits until the listening sockets of {@code w}'s root process have nothing queued, at most {@code max}. */
    static void awaitAccepted(Workload w, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        try (ProcessSockets process = ProcessSockets.open((int) w.rootPid())) {
            int pending;
            while ((pending = process.pendingAccepts()) > 0) {
                if (System.nanoTime() > deadline) {
                    log.warn("{} did not accept {} queued connection(s) within {} ms; CRIU does not dump accept "
                            + "queues: their peers will see them reset", w.name(), pending, max.toMillis());
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
