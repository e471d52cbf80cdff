package dev.baton.ckpt.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

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
    private final SSLContext tls;
    private final Network network;

    AgentCall(Connection caller, String me, HostService host, Duration hookTimeout, SSLContext tls, Network network) {
        this.caller = caller;
        this.me = me;
        this.host = host;
        this.hooks = new HooksToCaller(caller, me, hookTimeout);
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
            LOG.warn("agent {}: cannot tell {} how {} ended: {}", me, caller.describePeer(), call.describe(), e.getMessage());
            return;
        }
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

    /** Restores the dump here after it failed to get where it was going, and says so. */
    private Message.Failure rolledBack(DumpReport report, String why) {
        try {
            RestoreReport back = host.rollback(report.dumpId(), Hooks.NONE);
            return new Message.Failure(me, why + "; " + report.workload() + " was restored here (pid " + back.pid() + ")");
        } catch (RuntimeException e) {
            return new Message.Failure(me, why + "; restoring " + report.workload() + " here failed too: " + describe(e));
        }
    }

    /**
     * Connects to the target with this agent's identity and runs its RESTORE with our dump as the upload, in this
     * thread: the bundle goes from the dump through one window of buffer straight to the target. The target's
     * hooks come back through that connection and go on to our caller with the target's name.
     */
    private Message.Outcome ship(Message.Ship s) {
        long t0 = System.nanoTime();
        Map<String, Double> phases = new LinkedHashMap<>();
        AgentClient target;
        try {
            target = AgentClient.connect(s.target(), tls, network);
        } catch (AgentConnectionException e) {
            return new Message.Failure(me, "cannot ship to the target: " + e.getMessage());
        }
        try (target) {
            long t1 = System.nanoTime();
            phases.put("connect", ms(t1 - t0));
            DumpReport[] dumped = new DumpReport[1];
            long[] dumpedAt = new long[1];
            RestoreReport restored;
            try {
                restored = target.restoreFrom(s.restore(), out -> {
                    dumped[0] = host.dump(s.dump(), out, hooks);
                    out.flush();
                    dumpedAt[0] = System.nanoTime();
                }, hooks);
            } catch (AgentException e) {
                // The target ran the restore and it failed there. If our dump had finished, the workload is only in
                // our images now: bring it back here.
                String why = "restore on " + e.host() + " failed: " + e.remoteMessage();
                return dumped[0] != null ? rolledBack(dumped[0], why) : new Message.Failure(e.host(), e.remoteMessage());
            } catch (AgentConnectionException e) {
                return dumped[0] != null ? rolledBack(dumped[0], e.getMessage())
                        : new Message.Failure(target.agentHost(), e.getMessage());
            } catch (IOException e) {
                return dumped[0] != null ? rolledBack(dumped[0], describe(e)) : new Message.Failure(me, describe(e));
            }
            host.commit(dumped[0].dumpId());
            long t2 = System.nanoTime();
            phases.put("dump", ms(dumpedAt[0] - t1));
            phases.put("restore", ms(t2 - dumpedAt[0]));
            phases.put("total", ms(t2 - t0));
            return new Message.ShipResult(new ShipReport(me, target.agentHost(), dumped[0], restored, dumped[0].bundleBytes(), phases));
        }
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
