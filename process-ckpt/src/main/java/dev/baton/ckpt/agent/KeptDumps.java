package dev.baton.ckpt.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The dumps an agent keeps for its callers between a CHECKPOINT and the call that settles it (SHIP of the kept dump,
 * or SETTLE). A caller that vanishes must not lose the workload: a dump nobody claims within the settle timeout is
 * restored on this host. A dump being shipped or settled is claimed, so its timer does not run meanwhile; a ship
 * that leaves it kept puts it back with a fresh timeout. Closing the agent restores every dump still kept.
 */
final class KeptDumps implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeptDumps.class);
    /** How many settled dumps are remembered, to tell a late caller what became of its dump. */
    private static final int REMEMBERED = 64;

    /** Thrown by {@link #claim} when the dump is not kept (any more); the message says what became of it. */
    static final class NotKeptException extends Exception {
        NotKeptException(String message) {
            super(message);
        }
    }

    private static final class Kept {
        final DumpReport report;
        volatile ScheduledFuture<?> expiry;

        Kept(DumpReport report) {
            this.report = report;
        }

        void stopTimer() {
            ScheduledFuture<?> f = expiry;
            if (f != null) f.cancel(false);
        }
    }

    private final HostService host;
    private final String me;
    private final Duration settleTimeout;
    private final Map<String, Kept> kept = new ConcurrentHashMap<>();
    /** Connections to where a kept dump will be shipped, opened while it was taken; closed once it is settled. */
    private final Map<String, ConnectAhead> aheads = new ConcurrentHashMap<>();
    private final Map<String, String> fates = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REMEMBERED;
        }
    };
    private final Set<Thread> expiring = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;

    KeptDumps(HostService host, String me, Duration settleTimeout) {
        this.host = host;
        this.me = me;
        this.settleTimeout = settleTimeout;
        this.timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("agent " + me + " settle timer").factory());
    }

    Duration settleTimeout() {
        return settleTimeout;
    }

    /**
     * Keeps a dump just taken for its caller, with the connection opened for its ship (may be null); it is restored
     * here unless claimed within the settle timeout.
     */
    void keep(DumpReport report, ConnectAhead ahead) {
        if (ahead != null) aheads.put(report.dumpId(), ahead);
        keep(report);
    }

    private void keep(DumpReport report) {
        Kept k = new Kept(report);
        kept.put(report.dumpId(), k);
        try {
            k.expiry = timer.schedule(() -> expire(k), settleTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            if (kept.remove(report.dumpId(), k)) rollBack(report, "the agent is stopping");
        }
    }

    /** Takes the dump out of the keeping for the caller who settles it; its timer stops. */
    DumpReport claim(String dumpId) throws NotKeptException {
        Kept k = kept.remove(dumpId);
        if (k == null) {
            String fate;
            synchronized (fates) {
                fate = fates.get(dumpId);
            }
            throw new NotKeptException("no kept dump " + dumpId + " on " + me + (fate != null ? ": it was " + fate
                    : " (unknown here, or settled long ago, or being shipped or settled by another call)"));
        }
        k.stopTimer();
        return k.report;
    }

    /** A claimed dump that is still here, unsettled: kept again, with a fresh settle timeout. */
    void putBack(DumpReport report) {
        keep(report);
    }

    /** The connection opened for the dump's ship, taken by the ship that uses it; null if there is none. */
    ConnectAhead connectionAhead(String dumpId) {
        return aheads.remove(dumpId);
    }

    /** What became of a claimed dump, for a caller who asks for it later. */
    void settled(String dumpId, String fate) {
        ConnectAhead unused = aheads.remove(dumpId);
        if (unused != null) unused.close();
        synchronized (fates) {
            fates.put(dumpId, fate);
        }
    }

    /** The caller never learnt the dump's id (its result could not be sent): restore the workload now. */
    void expireNow(String dumpId, String why) {
        Kept k = kept.remove(dumpId);
        if (k == null) return;
        k.stopTimer();
        rollBack(k.report, why);
    }

    private void expire(Kept k) {
        String dumpId = k.report.dumpId();
        if (!kept.remove(dumpId, k)) return; // claimed meanwhile
        // Off the timer's thread: a restore takes a while and other dumps may expire meanwhile.
        Thread t = Thread.ofVirtual().name("agent " + me + " settle timeout " + dumpId).unstarted(() -> {
            try {
                rollBack(k.report, "nobody settled it within the settle timeout of " + HooksToCaller.format(settleTimeout));
            } finally {
                expiring.remove(Thread.currentThread());
            }
        });
        expiring.add(t);
        t.start();
    }

    private void rollBack(DumpReport report, String why) {
        String id = report.dumpId();
        try {
            RestoreReport back = host.rollback(id, Hooks.NONE);
            settled(id, "rolled back here because " + why + " (" + report.workload() + " runs here again as pid "
                    + back.pid() + ")");
            LOG.warn("agent {}: rolled back dump {} because {}: {} runs here again as pid {}", me, id, why,
                    report.workload(), back.pid());
        } catch (RuntimeException e) {
            settled(id, "to be rolled back because " + why + ", which failed: " + AgentCall.describe(e));
            LOG.error("agent {}: dump {} of {}: {}; rolling it back here failed: {}", me, id, report.workload(), why,
                    AgentCall.describe(e));
        }
    }

    /** Restores every dump still kept, and waits for those whose timeout is restoring them. */
    @Override
    public void close() {
        timer.shutdownNow();
        aheads.values().forEach(ConnectAhead::close);
        List<Kept> left = new ArrayList<>(kept.values());
        for (Kept k : left) {
            if (kept.remove(k.report.dumpId(), k)) rollBack(k.report, "the agent is stopping");
        }
        for (Thread t : List.copyOf(expiring)) {
            try {
                t.join(Duration.ofMinutes(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
