package dev.baton.gateway.migrate;

import dev.baton.ckpt.agent.AgentException;
import dev.baton.ckpt.agent.DumpReport;
import dev.baton.ckpt.agent.DumpRequest;
import dev.baton.ckpt.agent.DumpedConnection;
import dev.baton.ckpt.agent.Hooks;
import dev.baton.ckpt.agent.RestoreRequest;
import dev.baton.ckpt.agent.SendQueueSync;
import dev.baton.ckpt.agent.ShipReport;
import dev.baton.gateway.proxy.Flow;
import dev.baton.gateway.proxy.FlowClosedException;
import dev.baton.gateway.proxy.Service;
import dev.baton.peer.FlowHold;
import dev.baton.peer.SocketRebuild;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One migration after its plan was accepted, in the order that gave zero loss and zero RST in the lab
 * (proxy-migration.md):
 * <pre>
 *   prepare   agent A starts CRIU for the checkpoint; at CRIU's pre-dump notification, before the workload stops:
 *   freeze    new flows wait; each flow stops reading its peer and writing upstream; nftables drops gateway → A
 *   dump      CRIU dumps the workload (its own network lock skipped: the gateway is the lock), images kept on A
 *   re-point  each upstream socket is captured and retired silently, and rebuilt aimed at B with what the
 *             workload lacks re-queued (quiet in repair mode); the images' send queues are trimmed to what the
 *             gateway has
 *   ship      agent A seals the kept dump into agent B's restore, addresses rewritten A → B; A commits
 *   thaw      the rebuilt sockets resume and are adopted by the flows, held bytes go out, peers are read again
 * </pre>
 * Rollback: until B runs the workload, a failure brings it back on A (still running, or restored from the kept
 * dump, the gateway's sockets aimed at A first), and every flow thaws there.
 */
final class MigrationRun {
    private static final Logger LOG = LoggerFactory.getLogger(MigrationRun.class);
    private static final long FLOW_OP_TIMEOUT_S = 10;

    private final MigrationPlan plan;
    private final MigrationLog log;
    private final FlowHold hold;
    private final List<Flow> flows = new ArrayList<>();
    private final List<MovedFlow> moved = new ArrayList<>();
    /** Flows whose connection could not be resumed (ended for their peers). */
    private final Set<Flow> lost = Collections.newSetFromMap(new IdentityHashMap<>());
    /** The workload's connections in the dump, by (local, remote) as the workload saw them. */
    private final Map<List<InetSocketAddress>, DumpedConnection> dumped = new HashMap<>();
    private DumpReport dump;
    private volatile boolean aimedBack;
    private volatile boolean frozen;
    private long heldBytes;
    private long frozenAt;
    private double freezeMs;

    /** A flow whose upstream socket was replaced: the re-point and the connection it belongs to in the dump. */
    private record MovedFlow(Flow flow, SocketRebuild rebuild, DumpedConnection connection) {
    }

    MigrationRun(MigrationPlan plan, MigrationLog log, FlowHold hold) {
        this.plan = plan;
        this.log = log;
        this.hold = hold;
    }

    /** Runs the migration to its end; returns how it ended. Never throws. */
    Outcome run() {
        try {
            // The flows freeze at CRIU's pre-dump notification (see hooks()): CRIU's start-up stays out of the freeze.
            log.phase("prepare", "agent " + plan.from().name() + " starts CRIU to checkpoint " + plan.workload());
            // Both handshakes of the ship happen now, not while the peers wait: ours with A for the ship call,
            // A's with B for the bundle.
            plan.source().openAhead();
            dump = plan.source().checkpoint(new DumpRequest(plan.workload(), true), plan.to().agent(), hooks());
            for (DumpedConnection c : dump.connections()) dumped.put(List.of(c.local(), c.remote()), c);
            log.event("dumped " + dump.connections().size() + " connections (on " + plan.from().name() + " "
                    + phases(dump.phasesMs()) + ")");
        } catch (Exception e) {
            return thawOnSource("the dump on " + plan.from().name() + " failed, " + plan.workload()
                    + " runs on there untouched: " + describe(e));
        }
        if (!frozen) {
            return restoreOnSource("agent " + plan.from().name() + " dumped without the pre-dump notification, so the "
                    + "flows were never frozen");
        }
        List<SendQueueSync> sync;
        try {
            sync = repoint();
        } catch (RuntimeException e) {
            return restoreOnSource("re-pointing the gateway's sockets failed: " + describe(e));
        }
        ShipReport shipped;
        try {
            log.phase("ship", "agent " + plan.from().name() + " seals the dump into agent " + plan.to().name()
                    + "'s restore");
            shipped = plan.source().shipKept(dump.dumpId(), sync, plan.to().agent(),
                    new RestoreRequest(Map.of(plan.from().address().getHostAddress(), plan.to().address().getHostAddress()),
                            plan.to().netns(), false), hooks());
        } catch (AgentException e) {
            return shipFailed(e.host() + ": " + e.remoteMessage());
        } catch (Exception e) {
            return shipFailed(describe(e));
        }
        log.event("restored on " + plan.to().name() + " as pid " + shipped.restore().pid() + " ("
                + shipped.bytes() + " bundle bytes; on " + plan.from().name() + " " + phases(shipped.phasesMs())
                + "; on " + plan.to().name() + " " + phases(shipped.restore().phasesMs()) + ")");
        resumeAll(plan.to().name());
        return new Outcome(MigrationView.Status.SUCCEEDED, null);
    }

    private void freeze() {
        log.phase("freeze", "holding " + plan.workload() + "'s flows");
        frozenAt = System.nanoTime();
        frozen = true;
        List<Flow> open = new ArrayList<>();
        for (Service s : plan.services()) {
            s.pauseNewFlows();
            open.addAll(s.flows());
        }
        List<CompletableFuture<Void>> freezing = open.stream().map(Flow::freeze).toList();
        for (int i = 0; i < open.size(); i++) {
            if (joinUnlessEnded(freezing.get(i), open.get(i), "freeze")) flows.add(open.get(i));
        }
        // B too: a socket rebuilt toward B before B's workload exists must not reach it — the ACK of a peer's FIN
        // re-injected into a half-closed connection (CLOSE_WAIT) would draw a RST from B and kill the socket.
        List<InetSocketAddress> held = new ArrayList<>();
        for (Service s : plan.services()) {
            held.add(s.target());
            held.add(new InetSocketAddress(plan.to().address(), s.target().getPort()));
        }
        hold.hold(List.of(), held);
        log.event(flows.size() + " flows frozen, gateway → " + plan.from().name() + " and " + plan.to().name()
                + " held");
    }

    /**
     * Captures and retires each flow's upstream socket and rebuilds it aimed at B. Returns what the images need to
     * know: how far the gateway received on each connection.
     */
    private List<SendQueueSync> repoint() {
        log.phase("re-point", "re-pointing " + flows.size() + " upstream sockets at " + plan.to().name());
        List<Flow> moving = new ArrayList<>();
        for (Flow f : List.copyOf(flows)) {
            if (dumped.containsKey(connectionOf(f))) moving.add(f);
            else notInDump(f);
        }
        // Every flow detaches on its own event loop at once; each socket is then captured here as its fd comes.
        Map<Flow, CompletableFuture<Integer>> detaching = new LinkedHashMap<>();
        for (Flow f : moving) detaching.put(f, f.detachUpstream());
        Map<Flow, CompletableFuture<Void>> closing = new LinkedHashMap<>();
        List<SendQueueSync> sync = new ArrayList<>();
        detaching.forEach((f, detached) -> {
            if (!joinUnlessEnded(detached, f, "detach")) return;
            DumpedConnection c = dumped.get(connectionOf(f));
            // Repair mode first, so that the close of the original is silent on the wire.
            SocketRebuild rebuild = SocketRebuild.begin(TcpSocket.borrow(detached.join()));
            moved.add(new MovedFlow(f, rebuild, c));
            closing.put(f, f.closeDetachedUpstream());
            rebuild.aim(at(plan.to(), c), c.rcvNxt());
            sync.add(new SendQueueSync(c.local(), c.remote(), rebuild.before().receiveQueue().endSeq()));
        });
        closing.forEach((f, closed) -> joinUnlessEnded(closed, f, "close"));
        log.event(moved.size() + " sockets aimed at " + plan.to().name());
        return sync;
    }

    /** The flow's upstream connection as the workload saw it: the key of {@link #dumped}. */
    private static List<InetSocketAddress> connectionOf(Flow f) {
        return List.of(f.upstreamRemote(), f.upstreamLocal());
    }

    /**
     * A flow whose upstream connection the workload's images do not have: the workload had closed its end already
     * (the kernel finishes it; CRIU refuses to dump connections the workload has not accepted yet). It stays on
     * its connection to the source, which ends it as it would have ended anyway.
     */
    private void notInDump(Flow f) {
        log.event("flow " + f.id() + ": its connection " + StateJson.format(f.upstreamLocal()) + " -> "
                + StateJson.format(f.upstreamRemote()) + " is not in the dump (" + plan.workload() + " had closed it): "
                + "it stays on " + plan.from().name() + " to end there");
    }

    /** The workload's address on {@code host}: the same port, the host's address. */
    private static InetSocketAddress at(MigrationPlan.Host host, DumpedConnection c) {
        return new InetSocketAddress(host.address(), c.local().getPort());
    }

    /** Agent A is about to restore the workload itself: the gateway's sockets must be aimed there first. */
    private synchronized void aimBackAtSource() {
        if (aimedBack) return;
        aimedBack = true;
        for (MovedFlow m : moved) m.rebuild().aim(at(plan.from(), m.connection()), m.connection().rcvNxt());
        hold.release();
        log.event("sockets aimed back at " + plan.from().name());
    }

    private Hooks hooks() {
        return new Hooks() {
            /** The rest is only logged: the agents need not wait for the gateway there, inside the freeze. */
            @Override
            public Set<String> actsAt() {
                return Set.of("pre-dump", Hooks.ROLLBACK);
            }

            @Override
            public void reached(String host, String point, long pid) {
                boolean source = host.equals(plan.source().agentHost());
                if (point.equals("pre-dump") && source && !frozen) {
                    // CRIU runs, the workload is not stopped yet: freeze now; a failure here aborts the dump.
                    log.event(host + ": " + point + " (pid " + pid + ")");
                    freeze();
                    log.phase("dump", "CRIU dumps " + plan.workload() + " on " + plan.from().name());
                } else if (point.equals("rollback") && source) {
                    log.phase("rollback", plan.from().name() + " restores " + plan.workload() + " itself");
                    aimBackAtSource();
                } else {
                    log.event(host + ": " + point + (pid > 0 ? " (pid " + pid + ")" : ""));
                }
            }
        };
    }

    /** The ship failed. Agent A restored the workload if it could (the rollback hook came); else try here. */
    private Outcome shipFailed(String why) {
        if (aimedBack) {
            if (runsOnSource()) {
                resumeAll(plan.from().name());
                return new Outcome(MigrationView.Status.ROLLED_BACK, "shipping to " + plan.to().name() + " failed, "
                        + plan.workload() + " restored on " + plan.from().name() + ": " + why);
            }
            return lost("shipping failed (" + why + ") and the restore on " + plan.from().name() + " failed too");
        }
        return restoreOnSource("shipping to " + plan.to().name() + " failed: " + why);
    }

    /** Restores the workload on A from the kept dump, the gateway's sockets aimed back at A first. */
    private Outcome restoreOnSource(String why) {
        log.phase("rollback", why + "; restoring " + plan.workload() + " on " + plan.from().name());
        aimBackAtSource();
        try {
            plan.source().rollback(dump.dumpId(), hooks());
        } catch (Exception e) {
            return lost(why + "; restoring on " + plan.from().name() + " failed too: " + describe(e));
        }
        resumeAll(plan.from().name());
        return new Outcome(MigrationView.Status.ROLLED_BACK, why);
    }

    /** Nothing was dumped (or the dump failed): the workload runs on A as before; lift the hold and thaw. */
    private Outcome thawOnSource(String why) {
        log.phase("rollback", why);
        hold.release();
        for (Flow f : flows) tryJoin(f.thaw(), f, "thaw");
        for (Service s : plan.services()) s.resumeNewFlows(plan.from().name());
        freezeMs = (System.nanoTime() - frozenAt) / 1e6;
        return new Outcome(MigrationView.Status.ROLLED_BACK, why);
    }

    /** The workload runs where the sockets are aimed: resume them, hand them to their flows, thaw. */
    private void resumeAll(String host) {
        log.phase("thaw", "resuming " + flows.size() + " flows on " + host);
        hold.release();
        // Each step is asked of every flow at once (they complete on their event loops), then waited for.
        List<MovedFlow> adopted = new ArrayList<>();
        List<CompletableFuture<Void>> adopting = new ArrayList<>();
        for (MovedFlow m : moved) {
            heldBytes += m.flow().heldBytes();
            try {
                m.rebuild().resume();
                adopting.add(m.flow().adoptUpstream(m.rebuild().socket().fd()));
                adopted.add(m);
            } catch (RuntimeException e) {
                lose(m, e);
            }
        }
        for (int i = 0; i < adopting.size(); i++) {
            try {
                join(adopting.get(i), adopted.get(i).flow(), "adopt");
            } catch (RuntimeException e) {
                lose(adopted.get(i), e);
            }
        }
        List<Flow> order = flows.stream().filter(f -> !lost.contains(f)).toList();
        List<CompletableFuture<Void>> thawed = order.stream().map(Flow::thaw).toList();
        for (int i = 0; i < thawed.size(); i++) tryJoin(thawed.get(i), order.get(i), "thaw");
        for (Service s : plan.services()) s.resumeNewFlows(host);
        freezeMs = (System.nanoTime() - frozenAt) / 1e6;
        log.event("thawed; " + heldBytes + " bytes were held");
    }

    /** A flow whose rebuilt socket could not be resumed or adopted: its connection is gone, end it for its peer. */
    private void lose(MovedFlow m, RuntimeException e) {
        lost.add(m.flow());
        LOG.warn("flow {} could not be resumed: {}", m.flow().id(), describe(e));
        log.event("flow " + m.flow().id() + " lost: " + describe(e));
        discard(m.rebuild());
        // a frozen flow without an upstream would hold its peer for good: end it, the peer sees the close
        tryJoin(m.flow().abort("its connection to " + plan.workload() + " could not be resumed: " + describe(e)),
                m.flow(), "abort");
    }

    /** Closes a rebuilt socket that no flow took: silently while still in repair mode, else plainly. */
    private static void discard(SocketRebuild rebuild) {
        rebuild.close();
        try {
            rebuild.socket().close();
        } catch (RuntimeException closedAlready) {
            // not resumed: close() above dropped it
        }
    }

    private boolean runsOnSource() {
        try {
            return plan.source().workloads().stream().anyMatch(w -> w.workload().name().equals(plan.workload()) && w.running());
        } catch (Exception e) {
            return false;
        }
    }

    /** The workload could not be brought back: say where its state is, and close the flows. */
    private Outcome lost(String why) {
        String where = dump == null ? "" : " (its dump " + dump.dumpId() + " is kept on " + plan.from().name() + ")";
        log.phase("failed", why + where);
        hold.release();
        for (MovedFlow m : moved) m.rebuild().close();
        for (Flow f : flows) f.abort("its connection to " + plan.workload() + " was lost in a failed migration");
        for (Service s : plan.services()) s.resumeNewFlows(plan.from().name());
        return new Outcome(MigrationView.Status.FAILED, why + where);
    }

    double freezeMs() {
        return freezeMs;
    }

    long heldBytes() {
        return heldBytes;
    }

    List<Flow> flows() {
        return List.copyOf(flows);
    }

    /** How the run ended, and why when it did not succeed. */
    record Outcome(MigrationView.Status status, String error) {
    }

    /**
     * {@link #join}, except that a flow that ended meanwhile (its peer closed or reset it, both sides ended) is
     * not a failure of the migration: it leaves it, with an event, and this returns false.
     */
    private boolean joinUnlessEnded(CompletableFuture<?> op, Flow f, String what) {
        try {
            join(op, f, what);
            return true;
        } catch (IllegalStateException e) {
            if (!(e.getCause() instanceof FlowClosedException ended)) throw e;
            flows.remove(f);
            log.event("flow " + f.id() + " ended during the migration, nothing to move: " + ended.getMessage());
            return false;
        }
    }

    private static <T> T join(CompletableFuture<T> op, Flow f, String what) {
        try {
            return op.get(FLOW_OP_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("flow " + f.id() + ": " + what + ": " + describe(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("flow " + f.id() + ": " + what + " did not finish within " + FLOW_OP_TIMEOUT_S + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("flow " + f.id() + ": " + what + " interrupted");
        }
    }

    /** A step that must not stop the others: a failure is logged against its flow. */
    private void tryJoin(CompletableFuture<?> op, Flow f, String what) {
        try {
            join(op, f, what);
        } catch (RuntimeException e) {
            LOG.warn("{}", e.getMessage());
            log.event(e.getMessage());
        }
    }

    static String describe(Throwable e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private static String phases(Map<String, Double> ms) {
        StringBuilder b = new StringBuilder();
        ms.forEach((k, v) -> b.append(b.isEmpty() ? "" : ", ").append(k).append(' ').append(ms(v)));
        return b.toString();
    }

    private static String ms(Double v) {
        return v == null ? "?" : String.format(java.util.Locale.ROOT, "%.1f ms", v);
    }
}
