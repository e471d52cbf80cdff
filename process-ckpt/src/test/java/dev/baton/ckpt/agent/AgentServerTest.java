package dev.baton.ckpt.agent;

import dev.baton.ckpt.keys.ClusterConnectionException.Reason;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.socket.StateJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Agents and their callers over real TLS 1.3 on loopback, with a host service that moves real bytes. */
class AgentServerTest {
    private static final InetSocketAddress LOOPBACK_ANY_PORT = new InetSocketAddress("127.0.0.1", 0);
    private static final PseudoBundle BUNDLE = new PseudoBundle(7, 50L << 20);
    private static final DumpRequest DUMP_WEB = new DumpRequest("web", false);
    private static final RestoreRequest RESTORE_HERE = new RestoreRequest(Map.of(), null, false);

    @TempDir
    Path tmp;
    ClusterKeys keysA;
    ClusterKeys keysB;
    ClusterKeys keysCaller;
    final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void cluster() {
        keysA = ClusterKeys.init(tmp.resolve("a"), "a");
        keysB = ClusterKeys.issue(tmp.resolve("a"), "b", tmp.resolve("b"));
        keysCaller = ClusterKeys.issue(tmp.resolve("a"), "gateway", tmp.resolve("gateway"));
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) c.close();
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        closing.add(c);
        return c;
    }

    private AgentServer agent(ClusterKeys keys, HostService host) throws IOException {
        return closeLater(AgentServer.start(LOOPBACK_ANY_PORT, keys, host));
    }

    private AgentClient caller(AgentServer agent) throws IOException {
        return closeLater(AgentClient.connect(agent.address(), keysCaller));
    }

    @Test
    void healthAndWorkloadsComeBackUnderTheAgentsCertificateName() throws Exception {
        FakeHost host = new FakeHost(BUNDLE);
        AgentClient client = caller(agent(keysA, host));

        HostHealth health = client.health();
        assertEquals(new HostHealth("a", "4.2.1", "6.18.0-test", List.of("no soft-dirty tracking")), health);
        assertEquals(host.workloads(), client.workloads());
        assertEquals("a", client.agentHost());
    }

    @Test
    void aDumpStreamsTheBundleToTheCallerIntactAndItsHooksAndProgressInOrder() throws Exception {
        FakeHost host = new FakeHost(BUNDLE);
        AgentClient client = caller(agent(keysA, host));
        RecordingHooks hooks = new RecordingHooks();
        PseudoBundle.DigestSink received = new PseudoBundle.DigestSink();
        DumpRequest request = new DumpRequest("web", true);

        DumpReport report = client.dump(request, received, hooks);

        assertEquals(request, host.dumpRequest);
        assertEquals(BUNDLE.sha256(), received.sha256());
        assertEquals(BUNDLE.size(), received.count);
        assertEquals(new DumpReport("web", FakeHost.PID, FakeHost.DUMP_ID, BUNDLE.size(), Map.of("dump", 1.5)), report);
        assertEquals(List.of("a network-lock", "a post-dump"), hooks.hooks);
        // Progress is relayed at most every 100 ms per step, the first and the last report always.
        assertEquals("a seal 8388608/52428800", hooks.progress.getFirst());
        assertEquals("a seal 52428800/52428800", hooks.progress.getLast());
        List<Long> done = hooks.progress.stream().map(p -> Long.parseLong(p.split("[ /]")[2])).toList();
        assertEquals(done.stream().sorted().distinct().toList(), done, "in order, each once");
        assertEquals(List.of("dump web", "dumped", "released " + FakeHost.DUMP_ID), host.events);
    }

    @Test
    void aRestoreStreamsTheCallersBundleToTheAgentIntact() throws Exception {
        FakeHost host = new FakeHost(BUNDLE);
        AgentClient client = caller(agent(keysA, host));
        RecordingHooks hooks = new RecordingHooks();

        RestoreRequest request = new RestoreRequest(Map.of("198.18.0.2", "198.18.0.3"), "ns-b", true);

        RestoreReport report = client.restore(request, BUNDLE.open(), hooks);

        assertEquals(request, host.restoreRequest);
        assertEquals(BUNDLE.sha256(), host.restoredSha);
        assertEquals(new RestoreReport("web", FakeHost.PID + 1, 1, Map.of("open", 2.0, "restore", 3.0)), report);
        assertEquals(List.of("a pre-restore", "a post-restore"), hooks.hooks);
        assertEquals(List.of("restore", "restored"), host.events);
    }

    @Test
    void aShipPipesTheDumpIntoTheTargetsRestoreAndTheCallerSeesTheHooksOfBothHostsInOrder() throws Exception {
        FakeHost hostA = new FakeHost(BUNDLE);
        FakeHost hostB = new FakeHost(BUNDLE);
        AgentServer b = agent(keysB, hostB);
        AgentClient client = caller(agent(keysA, hostA));
        RecordingHooks hooks = new RecordingHooks();

        ShipReport report = client.ship(DUMP_WEB, b.address(), RESTORE_HERE, hooks);

        assertEquals(BUNDLE.sha256(), hostB.restoredSha);
        assertEquals(BUNDLE.size(), report.bytes());
        assertEquals("a", report.source());
        assertEquals("b", report.target());
        assertEquals(new DumpReport("web", FakeHost.PID, FakeHost.DUMP_ID, BUNDLE.size(), Map.of("dump", 1.5)),
                report.dump());
        assertEquals(new RestoreReport("web", FakeHost.PID + 1, 0, Map.of("open", 2.0, "restore", 3.0)),
                report.restore());
        assertEquals(List.of("connect", "dump", "restore", "total"), List.copyOf(report.phasesMs().keySet()));
        assertEquals(DUMP_WEB, hostA.dumpRequest);
        assertEquals(RESTORE_HERE, hostB.restoreRequest);
        assertEquals(List.of("dump web", "dumped", "committed " + FakeHost.DUMP_ID),
                hostA.eventsUntil("committed " + FakeHost.DUMP_ID),
                "the source drops its images and CRIU's lock once the target restored");
        assertEquals(List.of("restore", "restored"), hostB.events);
        assertEquals(List.of("a network-lock", "a post-dump", "b pre-restore", "b post-restore"), hooks.hooks);
        assertTrue(hooks.progress.contains("a seal 52428800/52428800"), hooks.progress.toString());
        assertTrue(hooks.progress.stream().anyMatch(p -> p.startsWith("b open ")), hooks.progress.toString());
    }

    @Test
    void aHookTheCallerAbortsRollsTheDumpBackAndTheCallerGetsTheAgentsReason() throws Exception {
        FakeHost host = new FakeHost(BUNDLE);
        AgentClient client = caller(agent(keysA, host));
        Exception refusal = new IllegalStateException("the gateway cannot hold the flow");
        RecordingHooks hooks = new RecordingHooks() {
            @Override
            void answer(String host, String point, long pid) throws Exception {
                if (point.equals("post-dump")) throw refusal;
            }
        };

        AgentException e = assertThrows(AgentException.class,
                () -> client.dump(DUMP_WEB, new PseudoBundle.DigestSink(), hooks));

        assertEquals("a", e.host());
        assertEquals("dump of web failed: the caller aborted at post-dump: the gateway cannot hold the flow",
                e.remoteMessage());
        assertEquals(List.of("dump web", "dump rolled back: the caller aborted at post-dump: the gateway cannot hold "
                + "the flow"), host.events);
        assertSame(refusal, e.getSuppressed()[0]);
    }

    @Test
    void aCallerThatDisconnectsWhileAHookIsPendingMakesTheOperationRollBack() throws Exception {
        FakeHost host = new FakeHost(BUNDLE);
        AgentClient client = caller(agent(keysA, host));
        RecordingHooks hooks = new RecordingHooks() {
            @Override
            void answer(String host, String point, long pid) {
                client.close();
            }
        };

        AgentConnectionException e = assertThrows(AgentConnectionException.class,
                () -> client.dump(DUMP_WEB, new PseudoBundle.DigestSink(), hooks));

        assertEquals(Reason.LOST, e.reason());
        String rollback = awaitEvent(host, "dump rolled back");
        assertTrue(rollback.startsWith("dump rolled back: the caller disconnected while hook network-lock was pending"),
                rollback);
    }

    @Test
    void aHookLeftUnansweredPastTheTimeoutAbortsTheOperation() throws Exception {
        FakeHost host = new FakeHost(BUNDLE);
        AgentServer agent = closeLater(AgentServer.start(LOOPBACK_ANY_PORT, keysA, host,
                AgentServer.Options.defaults().withHookTimeout(Duration.ofMillis(200))));
        AgentClient client = caller(agent);
        RecordingHooks slow = new RecordingHooks() {
            @Override
            void answer(String host, String point, long pid) throws InterruptedException {
                Thread.sleep(1000);
            }
        };

        AgentException e = assertThrows(AgentException.class,
                () -> client.restore(RESTORE_HERE, BUNDLE.open(), slow));

        assertEquals("a: restore failed: the caller did not answer hook pre-restore within 200 ms", e.getMessage());
        assertEquals(List.of("restore", "restore rolled back: the caller did not answer hook pre-restore within 200 ms"),
                host.events);
    }

    @Test
    void pointsTheCallerDoesNotActAtAreToldInOrderAndNeverWaitedFor() throws Exception {
        AgentServer.Options quick = AgentServer.Options.defaults().withHookTimeout(Duration.ofMillis(200));
        AgentServer b = closeLater(AgentServer.start(LOOPBACK_ANY_PORT, keysB, new FakeHost(BUNDLE), quick));
        FakeHost hostA = new FakeHost(BUNDLE);
        AgentClient client = caller(closeLater(AgentServer.start(LOOPBACK_ANY_PORT, keysA, hostA, quick)));
        RecordingHooks actsAtPostDumpOnly = new RecordingHooks() {
            @Override
            public Set<String> actsAt() {
                return Set.of("post-dump");
            }

            @Override
            void answer(String host, String point, long pid) throws InterruptedException {
                if (point.equals("post-dump")) return;
                // Past the agents' hook timeout: only a point nobody waits for can take this long.
                if (host.equals("b")) Thread.sleep(300);
                throw new IllegalStateException("a told point cannot stop the operation");
            }
        };

        ShipReport report = client.ship(DUMP_WEB, b.address(), RESTORE_HERE, actsAtPostDumpOnly);

        assertEquals("b", report.target());
        assertEquals(List.of("a network-lock", "a post-dump", "b pre-restore", "b post-restore"),
                actsAtPostDumpOnly.hooks);
    }

    @Test
    void anAbortAtAPointTheCallerActsAtStillRollsBackWhenItActsAtFewPoints() throws Exception {
        FakeHost host = new FakeHost(BUNDLE);
        AgentClient client = caller(agent(keysA, host));
        RecordingHooks hooks = new RecordingHooks() {
            @Override
            public Set<String> actsAt() {
                return Set.of("post-dump");
            }

            @Override
            void answer(String host, String point, long pid) {
                if (point.equals("post-dump")) throw new IllegalStateException("no hold");
            }
        };

        AgentException e = assertThrows(AgentException.class,
                () -> client.dump(DUMP_WEB, new PseudoBundle.DigestSink(), hooks));

        assertEquals("dump of web failed: the caller aborted at post-dump: no hold", e.remoteMessage());
        assertEquals(List.of("a network-lock", "a post-dump"), hooks.hooks);
    }

    @Test
    void aRemoteFailuresMessageReachesTheCallerWithTheHostItHappenedOn() throws Exception {
        FakeHost host = new FakeHost(BUNDLE);
        host.restoreFailure = "port 8080 is taken on this host";
        AgentClient client = caller(agent(keysA, host));

        AgentException e = assertThrows(AgentException.class,
                () -> client.restore(RESTORE_HERE, BUNDLE.open(), Hooks.NONE));

        assertEquals("a", e.host());
        assertEquals("port 8080 is taken on this host", e.remoteMessage());
        assertEquals(List.of("restore", "restore rolled back: port 8080 is taken on this host"), host.events);
    }

    @Test
    void aShipWhoseTargetFailsMidStreamRollsBothSidesBackAndNamesTheTarget() throws Exception {
        FakeHost hostA = new FakeHost(BUNDLE);
        FakeHost hostB = new FakeHost(BUNDLE);
        hostB.whileRestoring = read -> {
            if (read >= 10 << 20) throw new UncheckedIOException(new IOException("no space left on b"));
        };
        AgentServer b = agent(keysB, hostB);
        AgentClient client = caller(agent(keysA, hostA));

        AgentException e = assertThrows(AgentException.class,
                () -> client.ship(DUMP_WEB, b.address(), RESTORE_HERE, Hooks.NONE));

        assertEquals("b", e.host());
        assertTrue(e.remoteMessage().contains("no space left on b"), e.getMessage());
        assertTrue(hostB.events.getLast().startsWith("restore rolled back: "), hostB.events.toString());
        assertEquals(2, hostA.events.size(), hostA.events.toString());
        assertTrue(hostA.events.getLast().startsWith("dump rolled back: "), hostA.events.toString());
    }

    @Test
    void aShipWhoseTargetRefusesTheWholeBundleRestoresTheWorkloadOnTheSource() throws Exception {
        FakeHost hostA = new FakeHost(BUNDLE);
        FakeHost hostB = new FakeHost(BUNDLE);
        hostB.restoreFailure = "port 8080 is taken on this host";
        AgentServer b = agent(keysB, hostB);
        AgentClient client = caller(agent(keysA, hostA));
        RecordingHooks hooks = new RecordingHooks() {
            @Override
            void answer(String host, String point, long pid) {
                if (point.equals(Hooks.ROLLBACK)) hostA.events.add("caller re-aimed at " + host);
            }
        };

        AgentException e = assertThrows(AgentException.class,
                () -> client.ship(DUMP_WEB, b.address(), RESTORE_HERE, hooks));

        assertEquals("a", e.host(), "the source reports: it is where the workload is now");
        assertEquals("restore on b failed: port 8080 is taken on this host; web was restored here (pid "
                + (FakeHost.PID + 2) + ")", e.remoteMessage());
        assertEquals(List.of("dump web", "dumped", "caller re-aimed at a", "rolled back " + FakeHost.DUMP_ID),
                hostA.events, "the caller hears of the rollback before it happens");
        assertEquals(List.of("a network-lock", "a post-dump", "a rollback"), hooks.hooks);
    }

    @Test
    void aShipToAnUnreachableTargetFailsBeforeTheDumpStarts() throws Exception {
        FakeHost hostA = new FakeHost(BUNDLE);
        AgentClient client = caller(agent(keysA, hostA));
        InetSocketAddress nobody = unusedPort();

        AgentException e = assertThrows(AgentException.class,
                () -> client.ship(DUMP_WEB, nobody, RESTORE_HERE, Hooks.NONE));

        assertEquals("a", e.host());
        assertEquals("cannot ship to the target: agent at " + StateJson.format(nobody)
                + ": connection refused (is 'baton agent' listening there?)", e.remoteMessage());
        assertEquals(List.of(), hostA.events);
    }

    @Test
    void aCallerWithACertificateFromAnotherClusterIsRefusedAtTheHandshake() throws Exception {
        AgentServer agent = agent(keysA, new FakeHost(BUNDLE));
        ClusterKeys stranger = ClusterKeys.init(tmp.resolve("stranger"), "gateway");
        // Trusts our CA, so only the agent's check of the caller's certificate can stop it.
        SSLContext strangerTrustingUs = SSLContext.getInstance("TLSv1.3");
        strangerTrustingUs.init(stranger.keyManagerFactory().getKeyManagers(),
                keysA.trustManagerFactory().getTrustManagers(), null);

        AgentConnectionException e = assertThrows(AgentConnectionException.class,
                () -> AgentClient.connect(agent.address(), strangerTrustingUs, Network.OWN));

        assertEquals(Reason.CERTIFICATE_REFUSED, e.reason());
        assertTrue(e.getMessage().startsWith("agent at " + StateJson.format(agent.address())
                + " refused our certificate"), e.getMessage());
    }

    @Test
    void aCallerWithoutACertificateIsRefusedAtTheHandshake() throws Exception {
        AgentServer agent = agent(keysA, new FakeHost(BUNDLE));
        SSLContext anonymous = SSLContext.getInstance("TLSv1.3");
        anonymous.init(null, keysA.trustManagerFactory().getTrustManagers(), null);

        AgentConnectionException e = assertThrows(AgentConnectionException.class,
                () -> AgentClient.connect(agent.address(), anonymous, Network.OWN));

        assertEquals(Reason.CERTIFICATE_REFUSED, e.reason());
        assertTrue(e.getMessage().startsWith("agent at " + StateJson.format(agent.address())
                + " refused our certificate"), e.getMessage());
    }

    @Test
    void anAgentOfAnotherClusterIsNotTrustedByTheCaller() throws Exception {
        ClusterKeys stranger = ClusterKeys.init(tmp.resolve("stranger"), "a");
        AgentServer agent = agent(stranger, new FakeHost(BUNDLE));

        AgentConnectionException e = assertThrows(AgentConnectionException.class,
                () -> AgentClient.connect(agent.address(), keysCaller));

        assertEquals(Reason.UNTRUSTED_PEER, e.reason());
        assertEquals("agent at " + StateJson.format(agent.address())
                + " presented a certificate not signed by the cluster CA", e.getMessage());
    }

    @Test
    void nothingListeningIsReportedAsConnectionRefused() throws Exception {
        InetSocketAddress nobody = unusedPort();

        AgentConnectionException e = assertThrows(AgentConnectionException.class,
                () -> AgentClient.connect(nobody, keysCaller));

        assertEquals(Reason.UNREACHABLE, e.reason());
        assertEquals("agent at " + StateJson.format(nobody) + ": connection refused (is 'baton agent' listening "
                + "there?)", e.getMessage());
    }

    @Test
    void memoryStaysFlatWhileHalfAGibibyteStreamsToAndFromAnAgent() throws Exception {
        PseudoBundle big = new PseudoBundle(11, 512L << 20);
        FakeHost host = new FakeHost(big);
        AgentClient client = caller(agent(keysA, host));
        long baseline = usedHeapAfterGc();
        long[] peak = new long[1];
        java.util.function.LongConsumer sample = bytes -> {
            if (bytes % (64 << 20) == 0) peak[0] = Math.max(peak[0], usedHeapAfterGc());
        };
        host.whileRestoring = sample;
        host.whileDumping = sample;

        client.restore(RESTORE_HERE, big.open(), Hooks.NONE);
        PseudoBundle.DigestSink received = new PseudoBundle.DigestSink();
        client.dump(DUMP_WEB, received, Hooks.NONE);

        assertEquals(big.sha256(), host.restoredSha);
        assertEquals(big.sha256(), received.sha256());
        long growth = peak[0] - baseline;
        assertTrue(growth < 48L << 20, "heap grew by " + (growth >> 20) + " MiB while 2 x 512 MiB streamed");
    }

    private static long usedHeapAfterGc() {
        System.gc();
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    private static InetSocketAddress unusedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return new InetSocketAddress("127.0.0.1", s.getLocalPort());
        }
    }

    static String awaitEvent(FakeHost host, String prefix) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            for (String e : host.events) if (e.startsWith(prefix)) return e;
            Thread.sleep(50);
        }
        throw new AssertionError("no event '" + prefix + "…' in " + host.events);
    }
}
