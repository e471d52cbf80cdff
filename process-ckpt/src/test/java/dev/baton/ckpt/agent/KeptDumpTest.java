package dev.baton.ckpt.agent;

import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.socket.StateJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two-step migration over real TLS on loopback: CHECKPOINT keeps a dump on agent a, then a SHIP of the kept
 * dump (with its send queues synced), a SETTLE, or the settle timeout ends it. The host services are fakes that
 * record what happened to the dump; the real thing is in {@link KeptDumpLabTest}.
 */
class KeptDumpTest {
    private static final InetSocketAddress LOOPBACK_ANY_PORT = new InetSocketAddress("127.0.0.1", 0);
    private static final PseudoBundle BUNDLE = new PseudoBundle(5, 20L << 20);
    private static final DumpRequest DUMP_WEB = new DumpRequest("web", true);
    private static final RestoreRequest RESTORE_HERE = new RestoreRequest(Map.of(), null, false);
    private static final SendQueueSync SYNC = new SendQueueSync(FakeHost.CONNECTION.local(),
            FakeHost.CONNECTION.remote(), 2_000_300L);
    private static final String ID = FakeHost.DUMP_ID;

    @TempDir
    Path tmp;
    ClusterKeys keysA;
    ClusterKeys keysB;
    ClusterKeys keysCaller;
    final FakeHost hostA = new FakeHost(BUNDLE);
    final FakeHost hostB = new FakeHost(BUNDLE);
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

    private AgentServer agent(ClusterKeys keys, HostService host, Duration settleTimeout) throws IOException {
        AgentServer agent = AgentServer.start(LOOPBACK_ANY_PORT, keys, host,
                AgentServer.Options.defaults().withSettleTimeout(settleTimeout));
        closing.add(agent);
        return agent;
    }

    private AgentClient caller(AgentServer agent) throws IOException {
        AgentClient client = AgentClient.connect(agent.address(), keysCaller);
        closing.add(client);
        return client;
    }

    @Test
    void aCheckpointKeepsTheDumpOnTheAgentStreamsNothingAndListsItsConnections() throws Exception {
        AgentClient a = caller(agent(keysA, hostA, Duration.ofSeconds(30)));
        RecordingHooks hooks = new RecordingHooks();

        DumpReport report = a.checkpoint(DUMP_WEB, hooks);

        assertEquals(new DumpReport("web", FakeHost.PID, ID, 0, Map.of("dump", 1.5), List.of(FakeHost.CONNECTION)),
                report, "the connection crosses the wire whole: addresses, state, sequence numbers");
        assertEquals(DUMP_WEB, hostA.dumpRequest);
        assertEquals(List.of("a network-lock", "a post-dump"), hooks.hooks);
        assertEquals(List.of(), hooks.progress, "nothing is sealed");
        assertEquals(List.of("checkpoint web", "kept " + ID), hostA.events, "kept, not released");
    }

    @Test
    void aShipOfAKeptDumpTrimsTheListedSendQueuesThenSealsItIntoTheTargetAndCommitsIt() throws Exception {
        AgentServer b = agent(keysB, hostB, Duration.ofSeconds(30));
        AgentClient a = caller(agent(keysA, hostA, Duration.ofSeconds(30)));
        DumpReport kept = a.checkpoint(DUMP_WEB, Hooks.NONE);
        RecordingHooks hooks = new RecordingHooks();
        RestoreRequest toB = new RestoreRequest(Map.of("198.18.0.1", "198.18.0.2"), null, true);

        ShipReport report = a.shipKept(kept.dumpId(), List.of(SYNC), b.address(), toB, hooks);

        assertEquals(List.of(new SyncedSendQueue(SYNC, 300, 200)), report.synced());
        assertEquals(BUNDLE.sha256(), hostB.restoredSha);
        assertEquals(toB, hostB.restoreRequest);
        assertEquals(BUNDLE.size(), report.bytes());
        assertEquals(BUNDLE.size(), report.dump().bundleBytes());
        assertEquals(List.of(FakeHost.CONNECTION), report.dump().connections());
        assertEquals(List.of("dump", "seal"), List.copyOf(report.dump().phasesMs().keySet()));
        assertEquals(List.of("sync", "connect", "seal", "restore", "total"), List.copyOf(report.phasesMs().keySet()));
        assertEquals("b", report.target());
        assertEquals(List.of("checkpoint web", "kept " + ID, "synced " + SYNC.describe() + " to 2000300",
                "sealed " + ID, "committed " + ID), hostA.eventsUntil("committed " + ID));
        assertEquals(List.of("restore", "restored"), hostB.events);
        assertEquals(List.of("b pre-restore", "b post-restore"), hooks.hooks);
        assertTrue(hooks.progress.contains("a seal 20971520/20971520"), hooks.progress.toString());
    }

    @Test
    void aSyncEntryThatNamesNoConnectionFailsTheShipAndLeavesTheDumpKeptForARollback() throws Exception {
        AgentServer b = agent(keysB, hostB, Duration.ofSeconds(30));
        AgentClient a = caller(agent(keysA, hostA, Duration.ofSeconds(30)));
        a.checkpoint(DUMP_WEB, Hooks.NONE);
        SendQueueSync stranger = new SendQueueSync(StateJson.parseAddress("198.18.0.1:7000"),
                StateJson.parseAddress("198.18.0.9:5555"), 1);

        AgentException e = assertThrows(AgentException.class,
                () -> a.shipKept(ID, List.of(SYNC, stranger), b.address(), RESTORE_HERE, Hooks.NONE));

        assertEquals("a", e.host());
        assertEquals("the send queues of dump " + ID + " were not synced: no connection 198.18.0.1:7000 -> "
                + "198.18.0.9:5555 in " + ID + "; the dump is still kept here (ship it again, roll it back or "
                + "commit it within 30 s)", e.remoteMessage());
        assertEquals(List.of(), hostB.events, "the target never heard of it");
        RestoreReport back = a.rollback(ID, Hooks.NONE);
        assertEquals(FakeHost.PID + 2, back.pid());
        assertEquals(List.of("checkpoint web", "kept " + ID, "rolled back " + ID), hostA.events);
    }

    @Test
    void whenTheTargetRefusesAKeptDumpTheCallerHearsRollbackBeforeTheSourceRestoresIt() throws Exception {
        hostB.restoreFailure = "port 7000 is already in use on b";
        AgentServer b = agent(keysB, hostB, Duration.ofSeconds(30));
        AgentClient a = caller(agent(keysA, hostA, Duration.ofSeconds(30)));
        a.checkpoint(DUMP_WEB, Hooks.NONE);
        RecordingHooks hooks = new RecordingHooks() {
            @Override
            void answer(String host, String point, long pid) {
                if (point.equals(Hooks.ROLLBACK)) hostA.events.add("caller re-aimed at " + host);
            }
        };

        AgentException e = assertThrows(AgentException.class,
                () -> a.shipKept(ID, List.of(SYNC), b.address(), RESTORE_HERE, hooks));

        assertEquals("a", e.host(), "the source reports: it is where the workload is now");
        assertEquals("restore on b failed: port 7000 is already in use on b; web was restored here (pid "
                + (FakeHost.PID + 2) + ")", e.remoteMessage());
        assertEquals(List.of("checkpoint web", "kept " + ID, "synced " + SYNC.describe() + " to 2000300",
                "sealed " + ID, "caller re-aimed at a", "rolled back " + ID), hostA.events);
        assertEquals(List.of("a rollback"), hooks.hooks);
        AgentException late = assertThrows(AgentException.class, () -> a.commit(ID));
        assertEquals("no kept dump " + ID + " on a: it was not shipped: " + e.remoteMessage(), late.remoteMessage());
    }

    @Test
    void aCallerThatRefusesTheRollbackCannotStopItTheWorkloadIsRestoredAnyway() throws Exception {
        hostB.restoreFailure = "no space left on b";
        AgentServer b = agent(keysB, hostB, Duration.ofSeconds(30));
        AgentClient a = caller(agent(keysA, hostA, Duration.ofSeconds(30)));
        a.checkpoint(DUMP_WEB, Hooks.NONE);
        RecordingHooks refusing = new RecordingHooks() {
            @Override
            void answer(String host, String point, long pid) {
                if (point.equals(Hooks.ROLLBACK)) throw new IllegalStateException("cannot re-aim");
            }
        };

        AgentException e = assertThrows(AgentException.class,
                () -> a.shipKept(ID, List.of(), b.address(), RESTORE_HERE, refusing));

        assertTrue(e.remoteMessage().endsWith("; web was restored here (pid " + (FakeHost.PID + 2) + ")"),
                e.remoteMessage());
        assertEquals("rolled back " + ID, hostA.events.getLast());
    }

    @Test
    void aShipOfAKeptDumpToAnUnreachableTargetRestoresItOnTheSource() throws Exception {
        AgentClient a = caller(agent(keysA, hostA, Duration.ofSeconds(30)));
        a.checkpoint(DUMP_WEB, Hooks.NONE);
        InetSocketAddress nobody;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            nobody = new InetSocketAddress("127.0.0.1", s.getLocalPort());
        }
        RecordingHooks hooks = new RecordingHooks();
        InetSocketAddress target = nobody;

        AgentException e = assertThrows(AgentException.class,
                () -> a.shipKept(ID, List.of(SYNC), target, RESTORE_HERE, hooks));

        assertEquals("cannot ship to the target: agent at " + StateJson.format(nobody) + ": connection refused (is "
                + "'baton agent' listening there?); web was restored here (pid " + (FakeHost.PID + 2) + ")",
                e.remoteMessage());
        assertEquals(List.of("a rollback"), hooks.hooks);
        assertEquals("rolled back " + ID, hostA.events.getLast());
    }

    @Test
    void aRollbackRestoresAKeptDumpAndTheCallersHooksCannotStopIt() throws Exception {
        AgentClient a = caller(agent(keysA, hostA, Duration.ofSeconds(30)));
        a.checkpoint(DUMP_WEB, Hooks.NONE);
        RecordingHooks aborting = new RecordingHooks() {
            @Override
            void answer(String host, String point, long pid) {
                throw new IllegalStateException("changed my mind");
            }
        };

        RestoreReport back = a.rollback(ID, aborting);

        assertEquals(new RestoreReport("web", FakeHost.PID + 2, 0, Map.of("restore", 3.0)), back);
        assertEquals(List.of("a post-restore"), aborting.hooks);
        assertEquals(List.of("checkpoint web", "kept " + ID, "rolled back " + ID), hostA.events);
    }

    @Test
    void aCommitDropsAKeptDumpAndASecondSettleIsRefusedSayingWhatBecameOfIt() throws Exception {
        AgentClient a = caller(agent(keysA, hostA, Duration.ofSeconds(30)));
        a.checkpoint(DUMP_WEB, Hooks.NONE);

        a.commit(ID);

        assertEquals(List.of("checkpoint web", "kept " + ID, "committed " + ID), hostA.events);
        AgentException e = assertThrows(AgentException.class, () -> a.rollback(ID, Hooks.NONE));
        assertEquals("a: no kept dump " + ID + " on a: it was committed by gateway", e.getMessage());
        AgentException unknown = assertThrows(AgentException.class, () -> a.commit("nothing-1"));
        assertEquals("no kept dump nothing-1 on a (unknown here, or settled long ago, or being shipped or settled "
                + "by another call)", unknown.remoteMessage());
    }

    @Test
    void aKeptDumpNobodySettlesIsRestoredOnTheSourceAfterTheSettleTimeout() throws Exception {
        AgentClient a = caller(agent(keysA, hostA, Duration.ofMillis(300)));
        a.checkpoint(DUMP_WEB, Hooks.NONE);

        AgentServerTest.awaitEvent(hostA, "rolled back " + ID);

        AgentException e = assertThrows(AgentException.class, () -> a.commit(ID));
        assertEquals("no kept dump " + ID + " on a: it was rolled back here because nobody settled it within the "
                + "settle timeout of 300 ms (web runs here again as pid " + (FakeHost.PID + 2) + ")", e.remoteMessage());
    }

    @Test
    void aKeptDumpBeingShippedIsNotRolledBackWhenTheSettleTimeoutPasses() throws Exception {
        hostB.whileRestoring = read -> {
            if (read == 1 << 20) sleep(800); // the ship outlasts the settle timeout
        };
        AgentServer b = agent(keysB, hostB, Duration.ofSeconds(30));
        AgentClient a = caller(agent(keysA, hostA, Duration.ofMillis(300)));
        a.checkpoint(DUMP_WEB, Hooks.NONE);

        ShipReport report = a.shipKept(ID, List.of(), b.address(), RESTORE_HERE, Hooks.NONE);

        assertTrue(report.phasesMs().get("seal") >= 800, report.phasesMs().toString());
        Thread.sleep(400);
        assertEquals(List.of("checkpoint web", "kept " + ID, "sealed " + ID, "committed " + ID), hostA.events);
    }

    @Test
    void aKeptDumpWhoseShipFailedOnItsSyncGetsAFreshSettleTimeout() throws Exception {
        AgentServer b = agent(keysB, hostB, Duration.ofSeconds(30));
        AgentClient a = caller(agent(keysA, hostA, Duration.ofSeconds(2)));
        a.checkpoint(DUMP_WEB, Hooks.NONE);
        long kept = System.nanoTime();
        Thread.sleep(1000);
        SendQueueSync wrong = new SendQueueSync(SYNC.local(), SYNC.local(), 0);
        assertThrows(AgentException.class, () -> a.shipKept(ID, List.of(wrong), b.address(), RESTORE_HERE, Hooks.NONE));

        Thread.sleep(Math.max(0, 2500 - (System.nanoTime() - kept) / 1_000_000)); // past the first timeout
        assertEquals(List.of("checkpoint web", "kept " + ID), hostA.events, "still kept");
        AgentServerTest.awaitEvent(hostA, "rolled back " + ID);
    }

    @Test
    void stoppingTheAgentRestoresTheDumpsItStillKeeps() throws Exception {
        AgentServer agent = agent(keysA, hostA, Duration.ofSeconds(30));
        caller(agent).checkpoint(DUMP_WEB, Hooks.NONE);

        agent.close();

        assertEquals(List.of("checkpoint web", "kept " + ID, "rolled back " + ID), hostA.events);
    }

    @Test
    void aHostServiceThatCannotKeepDumpsRefusesACheckpointByName() throws Exception {
        HostService oneGo = new HostService() {
            @Override
            public HostHealth health() {
                return hostA.health();
            }

            @Override
            public List<dev.baton.ckpt.workload.WorkloadStatus> workloads() {
                return List.of();
            }

            @Override
            public DumpReport dump(DumpRequest request, java.io.OutputStream bundle, Hooks hooks) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void release(String dumpId) {
            }

            @Override
            public void commit(String dumpId) {
            }

            @Override
            public RestoreReport rollback(String dumpId, Hooks hooks) {
                throw new UnsupportedOperationException();
            }

            @Override
            public RestoreReport restore(RestoreRequest request, java.io.InputStream bundle, Hooks hooks) {
                throw new UnsupportedOperationException();
            }
        };
        AgentClient a = caller(agent(keysA, oneGo, Duration.ofSeconds(30)));

        AgentException e = assertThrows(AgentException.class, () -> a.checkpoint(DUMP_WEB, Hooks.NONE));

        assertTrue(e.remoteMessage().endsWith(" cannot keep a dump without streaming it (CHECKPOINT)"), e.remoteMessage());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
