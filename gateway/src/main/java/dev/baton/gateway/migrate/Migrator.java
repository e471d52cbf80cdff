package dev.baton.gateway.migrate;

import dev.baton.ckpt.agent.AgentClient;
import dev.baton.ckpt.agent.AgentConnectionException;
import dev.baton.ckpt.agent.HostHealth;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.gateway.Gateway;
import dev.baton.gateway.proxy.Service;
import dev.baton.netns.NetNamespace;
import dev.baton.peer.FlowHold;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's migrations: plans each one (refusing early, with the reason, when it cannot work), runs it in
 * the background ({@link MigrationRun}) and keeps the history. One migration per workload at a time.
 */
public final class Migrator implements Migrations, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Migrator.class);
    private static final Duration PORT_PROBE_TIMEOUT = Duration.ofMillis(500);

    private final Gateway gateway;
    private final ClusterKeys keys;
    private final ExecutorService runner = Executors.newCachedThreadPool(Thread.ofPlatform().name("migration-", 1).factory());
    private final Map<String, MigrationLog> history = new LinkedHashMap<>();
    /** Workloads whose migration is being planned (not in the history yet). */
    private final java.util.Set<String> planning = new java.util.HashSet<>();
    private final AtomicInteger counter = new AtomicInteger();
    private final MeterRegistry metrics;
    private final Timer freeze;
    private final Path auditDir;

    /**
     * @param auditDir where each migration's wire capture goes ({@code ID.pcap})
     */
    public Migrator(Gateway gateway, ClusterKeys keys, Path auditDir) {
        this.gateway = gateway;
        this.keys = keys;
        this.auditDir = auditDir;
        this.metrics = gateway.metrics();
        this.freeze = Timer.builder("baton_gateway_migration_freeze")
                .description("from the first flow frozen to the last thawed, per migration")
                .publishPercentileHistogram()
                .register(metrics);
    }

    @Override
    public MigrationView start(String workload, String toHost) {
        synchronized (this) {
            for (MigrationLog m : history.values()) {
                if (m.workload().equals(workload) && !m.status().ended()) {
                    throw new MigrationRefusedException("a migration of " + workload + " is already running: " + m.id());
                }
            }
            if (!planning.add(workload)) {
                throw new MigrationRefusedException("a migration of " + workload + " is being planned");
            }
        }
        MigrationLog log;
        MigrationPlan plan;
        try {
            plan = plan(workload, toHost); // talks to both agents: outside the lock, the history stays readable
            log = new MigrationLog("m" + counter.incrementAndGet(), workload, plan.from().name(), toHost);
            synchronized (this) {
                history.put(log.id(), log);
            }
        } finally {
            synchronized (this) {
                planning.remove(workload);
            }
        }
        FlowHold hold;
        try {
            hold = FlowHold.create(NetNamespace.ofProcess(ProcessHandle.current().pid()));
        } catch (RuntimeException e) {
            plan.source().close();
            log.end(MigrationView.Status.FAILED, null, "cannot install the gateway's hold table (nftables): " + e.getMessage());
            return log.view();
        }
        log.event("planned: " + plan.services().size() + " services, " + plan.from().name() + " → " + toHost);
        List<Integer> ports = new ArrayList<>();
        for (Service s : plan.services()) {
            ports.add(s.listen().getPort());
            ports.add(s.target().getPort());
        }
        MigrationAudit audit = MigrationAudit.start(auditDir.resolve(log.id() + ".pcap"), ports);
        runner.execute(() -> run(plan, log, hold, audit));
        return log.view();
    }

    private void run(MigrationPlan plan, MigrationLog log, FlowHold hold, MigrationAudit audit) {
        MigrationRun.Outcome outcome;
        MigrationRun run = new MigrationRun(plan, log, hold);
        try {
            outcome = run.run();
        } catch (RuntimeException e) {
            LOG.error("migration {} broke", log.id(), e);
            outcome = new MigrationRun.Outcome(MigrationView.Status.FAILED, "internal error: " + MigrationRun.describe(e));
        } finally {
            plan.source().close();
        }
        try {
            hold.close();
        } catch (RuntimeException e) {
            LOG.warn("migration {}: removing the hold table failed: {}", log.id(), e.getMessage());
        }
        log.endPhase();
        MigrationAudit.Result wire = null;
        if (audit != null) {
            log.phase("audit", "auditing the wire (the flows run on; this is after the freeze)");
            wire = audit.finish(run.flows());
            if (wire.note() != null) log.event(wire.note());
            log.endPhase();
        }
        MigrationResult result = new MigrationResult(log.phasesMs(), run.freezeMs(), run.flows().size(), run.heldBytes(),
                wire == null ? List.of() : wire.gaps(), wire == null ? null : wire.summary());
        if (run.freezeMs() > 0) freeze.record(Duration.ofNanos((long) (run.freezeMs() * 1e6)));
        Counter.builder("baton_gateway_migrations").description("migrations by outcome")
                .tag("outcome", outcome.status().name().toLowerCase()).register(metrics).increment();
        log.end(outcome.status(), result, outcome.error());
        LOG.info("migration {} of {}: {}{}", log.id(), plan.workload(), outcome.status(),
                outcome.error() == null ? "" : " — " + outcome.error());
    }

    /** Everything that can be checked before touching the workload. */
    private MigrationPlan plan(String workload, String toHost) {
        List<Service> services = gateway.services().stream().filter(s -> s.workload().equals(workload)).toList();
        if (services.isEmpty()) {
            throw new MigrationRefusedException("no service of the gateway fronts a workload named '" + workload
                    + "' (workloads: " + gateway.services().stream().map(Service::workload).distinct().toList() + ")");
        }
        String fromHost = services.getFirst().host();
        if (services.stream().anyMatch(s -> !s.host().equals(fromHost))) {
            throw new MigrationRefusedException(workload + "'s services are on different hosts: "
                    + services.stream().map(s -> s.name() + "@" + s.host()).toList());
        }
        if (fromHost.equals(toHost)) throw new MigrationRefusedException(workload + " already runs on " + toHost);
        MigrationPlan.Host from = host(fromHost);
        MigrationPlan.Host to = host(toHost);

        checkTarget(to, services);
        AgentClient source = connect(from);
        try {
            boolean running = source.workloads().stream()
                    .anyMatch(w -> w.workload().name().equals(workload) && w.running());
            if (!running) {
                throw new MigrationRefusedException("agent " + from.name() + " does not run a workload named '"
                        + workload + "' ('baton ps' there)");
            }
            return new MigrationPlan(workload, services, from, to, source);
        } catch (MigrationRefusedException e) {
            source.close();
            throw e;
        } catch (Exception e) {
            source.close();
            throw new MigrationRefusedException("agent " + from.name() + " cannot list its workloads: " + e.getMessage(), e);
        }
    }

    private MigrationPlan.Host host(String name) {
        var h = gateway.config().hosts().get(name);
        if (h == null) {
            throw new MigrationRefusedException("no host named '" + name + "' in the gateway's config (hosts: "
                    + gateway.config().hosts().keySet() + ")");
        }
        return new MigrationPlan.Host(name, h.agent(), h.address(), h.netns());
    }

    private AgentClient connect(MigrationPlan.Host host) {
        try {
            return AgentClient.connect(host.agent(), keys);
        } catch (AgentConnectionException e) {
            throw new MigrationRefusedException("cannot reach agent " + host.name() + " at " + host.agent() + ": "
                    + e.getMessage(), e);
        }
    }

    /** The target's agent is healthy (CRIU works there) and nothing listens on the workload's ports there yet. */
    private void checkTarget(MigrationPlan.Host to, List<Service> services) {
        try (AgentClient target = connect(to)) {
            HostHealth health = target.health();
            if (!health.healthy()) {
                throw new MigrationRefusedException("host " + to.name() + " cannot restore: " + String.join("; ", health.problems()));
            }
        } catch (MigrationRefusedException e) {
            throw e;
        } catch (Exception e) {
            throw new MigrationRefusedException("agent " + to.name() + " did not answer its health check: " + e.getMessage(), e);
        }
        List<String> taken = new ArrayList<>();
        for (Service s : services) {
            InetSocketAddress there = new InetSocketAddress(to.address(), s.target().getPort());
            try (Socket probe = new Socket()) {
                probe.connect(there, (int) PORT_PROBE_TIMEOUT.toMillis());
                taken.add(there.getAddress().getHostAddress() + ":" + there.getPort());
            } catch (IOException free) {
                // refused (or unreachable): nothing there to collide with
            }
        }
        if (!taken.isEmpty()) {
            throw new MigrationRefusedException("port taken on " + to.name() + ": something already listens on " + taken);
        }
    }

    @Override
    public synchronized Optional<MigrationView> find(String id) {
        return Optional.ofNullable(history.get(id)).map(MigrationLog::view);
    }

    @Override
    public synchronized List<MigrationView> history() {
        return history.values().stream().map(MigrationLog::view).toList();
    }

    /** Waits for running migrations to end (they roll back or finish on their own), then stops. */
    @Override
    public void close() {
        runner.shutdown();
        try {
            if (!runner.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)) {
                LOG.warn("migrations still running after 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
