package dev.baton.ckpt.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One call on an agent, from the caller's message to the outcome: runs the operation on the {@link HostService},
 * streams the bundle, relays hooks, and always ends with a result or a {@link Message.Failure} naming the host
 * that failed.
 */
final class AgentCall {
    private static final Logger LOG = LoggerFactory.getLogger(AgentCall.class);
    /** How long to wait for the caller to close after our last message. */
    private static final Duration LINGER = Duration.ofSeconds(5);

    private final Connection caller;
    private final String me;
    private final HostService host;
    private final HooksToCaller hooks;
    private final KeptDumps keptDumps;
    private final SSLContext tls;
    private final Network network;
    /** Housekeeping that must not delay the caller: runs once the outcome is sent (or could not be). */
    private Runnable afterOutcome = () -> { };

    AgentCall(Connection caller, String me, HostService host, Duration hookTimeout, Set<String> actsAt,
              KeptDumps keptDumps, SSLContext tls, Network network) {
        this.caller = caller;
        this.me = me;
        this.host = host;
        this.hooks = new HooksToCaller(caller, me, hookTimeout, actsAt);
        this.keptDumps = keptDumps;
        this.tls = tls;
        this.network = network;
    }

    void run(Message.Call call) {
        if (call instanceof Message.Restore) caller.expectData();
        caller.startReader("agent " + me + " reader " + caller.peer(), hooks);
        Message.Outcome outcome;
        try {
            outcome = switch (call) {
                case Message.Health h -> new Message.HealthResult(stamped(host.health()));
                case Message.Workloads w -> new Message.WorkloadsResult(host.workloads());
                case Message.Dump d -> dump(d);
                case Message.Restore r -> new Message.RestoreResult(host.restore(r.request(), caller.dataIn(), hooks));
                case Message.Ship s -> ship(s);
                case Message.Checkpoint c -> checkpoint(c);
                case Message.ShipKept s -> shipKept(s);
                case Message.Settle s -> settle(s);
            };
        } catch (Exception e) {
            outcome = new Message.Failure(me, describe(e));
        }
        if (outcome instanceof Message.Failure f) {
            LOG.warn("agent {}: {} for {} failed on {}: {}", me, call.describe(), caller.peer(), f.host(), f.message());
        } else {
            LOG.info("agent {}: {} for {} done", me, call.describe(), caller.peer());
        }
        try {
            caller.send(outcome);
        } catch (IOException e) {
            afterOutcome.run();
            LOG.warn("agent {}: cannot tell {} how {} ended: {}", me, caller.describePeer(), call.describe(), e.getMessage());
            if (outcome instanceof Message.DumpResult r && call instanceof Message.Checkpoint) {
                keptDumps.expireNow(r.report().dumpId(), "its caller never learnt its id (" + e.getMessage() + ")");
            }
            return;
        }
        afterOutcome.run();
        caller.awaitPeerClose(LINGER);
    }

    /** The caller holds the bundle once its last byte went out: then the images here can go. */
    private Message.Outcome dump(Message.Dump d) throws IOException {
        DataOut out = caller.dataOut();
        DumpReport report = host.dump(d.request(), out, hooks);
        try {
            out.end();
        } catch (IOException e) {
            return rolledBack(report, "the bundle did not reach the caller: " + describe(e));
        }
        host.release(report.dumpId());
        return new Message.DumpResult(report);
    }

    /** Dumps and keeps the images here for the caller, who settles the dump within the settle timeout. */
    private Message.Outcome checkpoint(Message.Checkpoint c) throws IOException {
        ConnectAhead ahead = c.shipTo() == null ? null : ConnectAhead.start(c.shipTo(), tls, network);
        DumpReport report;
        try {
            report = host.checkpoint(c.request(), hooks);
        } catch (IOException | RuntimeException e) {
            if (ahead != null) ahead.close();
            throw e;
        }
        keptDumps.keep(report, ahead);
        return new Message.DumpResult(report);
    }

    /**
     * Restores the dump here after it failed to get where it was going, and says so. The caller hears
     * {@link Hooks#ROLLBACK} first, so it can re-aim its sockets at this host before the workload's come back; its
     * answer cannot stop the restore.
     */
    private Message.Failure rolledBack(DumpReport report, String why) {
        try {
            hooks.reached(Hooks.ROLLBACK, 0);
        } catch (Exception e) {
            LOG.warn("agent {}: the caller did not take the rollback of {} ({}); restoring it here anyway", me,
                    report.workload(), e.getMessage());
        }
        try {
            RestoreReport back = host.rollback(report.dumpId(), Hooks.NONE);
            return new Message.Failure(me, why + "; " + report.workload() + " was restored here (pid " + back.pid() + ")");
        } catch (RuntimeException e) {
            return new Message.Failure(me, why + "; restoring " + report.workload() + " here failed too: " + describe(e));
        }
    }

    /** A SHIP: the dump is made while the bundle streams to the target. */
    private Message.Outcome ship(Message.Ship s) {
        return ship(s.target(), s.restore(), new Shipment(out -> host.dump(s.dump(), out, hooks), "dump", null,
                List.of(), new LinkedHashMap<>(), System.nanoTime()));
    }

    /**
     * A SHIP of a kept dump: its send queues are trimmed as the caller says, then it is sealed into the target's
     * RESTORE like any SHIP. A sync entry that names no connection leaves the dump kept (and nothing changed);
     * any later failure restores the workload here.
     */
    private Message.Outcome shipKept(Message.ShipKept s) throws KeptDumps.NotKeptException {
        DumpReport kept = keptDumps.claim(s.dumpId());
        long t0 = System.nanoTime();
        Map<String, Double> phases = new LinkedHashMap<>();
        List<SyncedSendQueue> synced;
        try {
            synced = s.sync().isEmpty() ? List.of() : host.syncSendQueues(s.dumpId(), s.sync());
        } catch (RuntimeException e) {
            keptDumps.putBack(kept);
            return new Message.Failure(me, "the send queues of dump " + s.dumpId() + " were not synced: " + describe(e)
                    + "; the dump is still kept here (ship it again, roll it back or commit it within "
                    + HooksToCaller.format(keptDumps.settleTimeout()) + ")");
        }
        phases.put("sync", ms(System.nanoTime() - t0));
        Bundle sealed = out -> {
            long start = System.nanoTime();
            try {
                return kept.sealed(host.seal(kept.dumpId(), out, hooks), ms(System.nanoTime() - start));
            } catch (RuntimeException e) {
                // As an I/O failure, so that a broken stream waits for the target's reason (see AgentClient).
                throw new IOException(describe(e), e);
            }
        };
        Message.Outcome outcome = ship(s.target(), s.restore(), new Shipment(sealed, "seal", kept, synced, phases, t0));
        keptDumps.settled(kept.dumpId(), switch (outcome) {
            case Message.ShipResult r -> "shipped to " + r.report().target();
            case Message.Failure f -> "not shipped: " + f.message();
            default -> "shipped";
        });
        return outcome;
    }

    /** Writes a dump's sealed bundle; returns the dump's report with the bundle's size. */
    @FunctionalInterface
    private interface Bundle {
        DumpReport writeTo(OutputStream out) throws IOException;
    }

    /**
     * What a ship sends: the dump made while the bundle streams (SHIP), or one kept since a CHECKPOINT.
     *
     * @param streamPhase the name of the phase in which the bundle streams to the target
     * @param kept        the kept dump, or null when the dump is made during the ship
     * @param synced      the send queues trimmed before the ship
     * @param phases      the phases timed so far; the ship adds its own
     * @param startedAt   when the call started ({@link System#nanoTime()})
     */
    private record Shipment(Bundle bundle, String streamPhase, DumpReport kept, List<SyncedSendQueue> synced,
                            Map<String, Double> phases, long startedAt) {
    }

    /**
     * Connects to the target with this agent's identity and runs its RESTORE with the shipment's bundle as the
     * upload, in this thread: the bundle goes from the dump through one window of buffer straight to the target.
     * The target's hooks come back through that connection and go on to our caller with the target's name. Once
     * the workload is dumped, the call ends either with it running on the target (the dump committed here) or
     * restored here.
     */
    private Message.Outcome ship(InetSocketAddress to, RestoreRequest restore, Shipment shipment) {
        long t0 = System.nanoTime();
        Map<String, Double> phases = shipment.phases();
        DumpReport[] dumped = {shipment.kept()};
        AgentClient target;
        try {
            target = connectTo(to, shipment);
        } catch (AgentConnectionException e) {
            String why = "cannot ship to the target: " + e.getMessage();
            return dumped[0] != null ? rolledBack(dumped[0], why) : new Message.Failure(me, why);
        }
        try (target) {
            long t1 = System.nanoTime();
            phases.put("connect", ms(t1 - t0));
            long[] streamedAt = new long[1];
            RestoreReport restored;
            try {
                restored = target.restoreFrom(restore, out -> {
                    dumped[0] = shipment.bundle().writeTo(out);
                    out.flush();
                    streamedAt[0] = System.nanoTime();
                }, hooks);
            } catch (AgentException e) {
                // The target ran the restore and it failed there. If our dump had finished, the workload is only in
                // our images now: bring it back here.
                String why = "restore on " + e.host() + " failed: " + e.remoteMessage();
                return dumped[0] != null ? rolledBack(dumped[0], why) : new Message.Failure(e.host(), e.remoteMessage());
            } catch (AgentConnectionException e) {
                return dumped[0] != null ? rolledBack(dumped[0], e.getMessage())
                        : new Message.Failure(target.agentHost(), e.getMessage());
            } catch (IOException | RuntimeException e) {
                return dumped[0] != null ? rolledBack(dumped[0], describe(e)) : new Message.Failure(me, describe(e));
            }
            
            // The workload runs on the target now; dropping our images can wait until the caller knows.
            String committed = dumped[0].dumpId();
            afterOutcome = () -> commit(committed);
            long t2 = System.nanoTime();
            phases.put(shipment.streamPhase(), ms(streamedAt[0] - t1));
            phases.put("restore", ms(t2 - streamedAt[0]));
            phases.put("total", ms(t2 - shipment.startedAt()));
            return new Message.ShipResult(new ShipReport(me, target.agentHost(), dumped[0], restored,
                    dumped[0].bundleBytes(), phases, shipment.synced()));
        }
    }

    private void commit(String dumpId) {
        try {
            host.commit(dumpId);
        } catch (RuntimeException e) {
            LOG.warn("agent {}: dump {} runs elsewhere now, but dropping it here failed: {}", me, dumpId, describe(e));
        }
    }

    /** The target of a ship: the connection opened while a kept dump was taken, if it goes there, or a new one. */
    private AgentClient connectTo(InetSocketAddress to, Shipment shipment) throws AgentConnectionException {
        ConnectAhead ahead = shipment.kept() == null ? null : keptDumps.connectionAhead(shipment.kept().dumpId());
        AgentClient opened = ahead == null ? null : ahead.client(to);
        return opened != null ? opened : AgentClient.connect(to, tls, network);
    }

    /** Restores a kept dump here, or drops it: the caller settles it without shipping. */
    private Message.Outcome settle(Message.Settle s) throws KeptDumps.NotKeptException {
        DumpReport kept = keptDumps.claim(s.dumpId());
        return switch (s.settlement()) {
            case ROLLBACK -> {
                try {
                    RestoreReport back = host.rollback(kept.dumpId(), unstoppable(hooks));
                    keptDumps.settled(kept.dumpId(), "rolled back by " + caller.peer() + " (" + kept.workload()
                            + " restored here as pid " + back.pid() + ")");
                    yield new Message.RestoreResult(back);
                } catch (RuntimeException e) {
                    keptDumps.settled(kept.dumpId(), "rolled back by " + caller.peer() + ", which failed: " + describe(e));
                    throw e;
                }
            }
            case COMMIT -> {
                host.commit(kept.dumpId());
                keptDumps.settled(kept.dumpId(), "committed by " + caller.peer());
                yield new Message.Settled(kept.dumpId());
            }
        };
    }

    /**
     * The caller's hooks for a restore it cannot stop: a rollback runs whatever the caller answers (an abort or a
     * disconnect is logged), because the workload must not stay only in images.
     */
    private Hooks unstoppable(Hooks to) {
        return new Hooks() {
            @Override
            public void reached(String point, long pid) {
                try {
                    to.reached(point, pid);
                } catch (Exception e) {
                    LOG.warn("agent {}: the caller did not take {} of a rollback ({}); the rollback goes on", me, point,
                            e.getMessage());
                }
            }

            @Override
            public void progress(String step, long done, long total) {
                to.progress(step, done, total);
            }

            @Override
            public Set<String> actsAt() {
                return to.actsAt();
            }
        };
    }

    /** Health as the host reports it, under the name the cluster knows this agent by. */
    private HostHealth stamped(HostHealth h) {
        return new HostHealth(me, h.criu(), h.kernel(), h.problems());
    }

    /** The message a user reads: the exception's own, else its type; with the cause when it adds something. */
    static String describe(Throwable e) {
        String m = e.getMessage() == null || e.getMessage().isBlank() ? e.toString() : e.getMessage();
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && !m.contains(cause.getMessage())) {
            m += ": " + cause.getMessage();
        }
        return m;
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
