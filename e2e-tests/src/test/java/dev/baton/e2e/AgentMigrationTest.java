package dev.baton.e2e;

import dev.baton.ckpt.Checkpointer;
import dev.baton.ckpt.agent.AgentClient;
import dev.baton.ckpt.agent.AgentConnectionException;
import dev.baton.ckpt.agent.AgentException;
import dev.baton.ckpt.agent.AgentServer;
import dev.baton.ckpt.agent.DumpRequest;
import dev.baton.ckpt.agent.Hooks;
import dev.baton.ckpt.agent.RestoreRequest;
import dev.baton.ckpt.agent.ShipReport;
import dev.baton.ckpt.bundle.BundleWriter;
import dev.baton.ckpt.criu.CriuLaunch;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.WorkloadStatus;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.demo.ProcessMigrationScenario;
import dev.baton.demo.ProcessMigrationScenario.Tick;
import dev.baton.netns.NetnsLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static dev.baton.demo.ProcessMigrationScenario.awaitTicks;
import static dev.baton.demo.ProcessMigrationScenario.ticks;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Two real agents, each with its own state (workloads, images) and identity from one cluster CA, in two
 * namespaces with different IPs; the caller in a third. A stateful workload moves a → b in one SHIP call: a dumps
 * it with CRIU, seals and streams the bundle straight to b over their mutual TLS connection, b verifies, rewrites
 * a's address to its own and restores it. When b cannot take it, a restores it at once.
 */
@Tag("privileged")
class AgentMigrationTest {
    private static final int PORT = ProcessMigrationScenario.PORT;
    private static final int AGENT_PORT = 7441;

    @TempDir
    Path tmp;
    private NetnsLab lab;
    private final List<AutoCloseable> closers = new ArrayList<>();
    private Workloads workloadsA;
    private Workloads workloadsB;
    private AgentClient caller;

    @BeforeAll
    static void warmUp() {
        BundleWriter.warmUp(); // as 'baton agent' does when it starts
    }

    @BeforeEach
    void twoAgents() throws Exception {
        lab = NetnsLab.create("peer", "a", "b");
        ClusterKeys keysA = ClusterKeys.init(tmp.resolve("keys-a"), "a");
        ClusterKeys keysB = ClusterKeys.issue(tmp.resolve("keys-a"), "b", tmp.resolve("keys-b"));
        ClusterKeys keysCaller = ClusterKeys.issue(tmp.resolve("keys-a"), "caller", tmp.resolve("keys-caller"));
        workloadsA = new Workloads(tmp.resolve("a/workloads"));
        workloadsB = new Workloads(tmp.resolve("b/workloads"));
        agent("a", keysA, workloadsA);
        agent("b", keysB, workloadsB);
        caller = AgentClient.connect(agentAddress("a"), keysCaller, lab.host("peer").netns());
        closers.add(caller);
    }

    private void agent(String host, ClusterKeys keys, Workloads workloads) throws Exception {
        Checkpointer ckpt = new Checkpointer(workloads, keys, tmp.resolve(host + "/images"), CriuLaunch.defaults());
        closers.add(AgentServer.start(agentAddress(host), keys, ckpt,
                AgentServer.Options.defaults().inNetns(lab.host(host).netns())));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            for (Workloads w : List.of(workloadsA, workloadsB)) {
                for (Workload each : w.list()) w.kill(each.name());
            }
            Collections.reverse(closers);
            for (AutoCloseable c : closers) c.close();
        } finally {
            lab.close();
        }
    }

    @Test
    void aShipMovesARunningWorkloadToAnotherHostsAddressWithItsMemory() throws Exception {
        Workload echo = startEcho();
        assertEquals(8, echoThrough("a", 8), "served on a before the move");
        int ticksBefore = ticks(echo).size();

        ShipReport report = caller.ship(new DumpRequest("echo", false), agentAddress("b"), toB(), Hooks.NONE);

        System.out.printf("ship a -> b: %s, bundle %d bytes; dump %s; restore %s%n", report.phasesMs(),
                report.bytes(), report.dump().phasesMs(), report.restore().phasesMs());
        Workload moved = workloadsB.get("echo");
        assertEquals(lab.host("b").nsName(), moved.netns());
        assertEquals(report.restore().pid(), moved.rootPid());
        assertTrue(Workloads.isRunning(moved), "running on b");
        assertFalse(Workloads.isRunning(echo), "gone from a");
        assertEquals(16, echoThrough("b", 16), "served at b's address after the move");
        assertCountsOn(awaitTicks(moved, ticksBefore, 4));
        ProcessMigrationScenario.await("a tick that counted the 8 + 16 bytes", Duration.ofSeconds(2),
                () -> ticks(moved).getLast().echoed() >= 8 + 16);
        assertEquals(8 + 16, ticks(moved).getLast().echoed(), "the byte counter moved with the process");
        assertEquals(List.of(), imagesLeft("a"), "a committed the dump: its images are gone");
        assertEquals(List.of(), imagesLeft("b"));
        assertNoCriuTables("a");
    }

    @Test
    void whenTheTargetsPortIsTakenTheSourceAgentRestoresTheWorkloadAndSaysSo() throws Exception {
        Workload echo = startEcho();
        int ticksBefore = ticks(echo).size();
        Process squatter = new ProcessBuilder(lab.host("b").command("socat",
                "TCP-LISTEN:" + PORT + ",reuseaddr,fork", "EXEC:cat")).start();
        closers.add(squatter::destroyForcibly);
        awaitListening("b");

        AgentException e = assertThrows(AgentException.class,
                () -> caller.ship(new DumpRequest("echo", false), agentAddress("b"), toB(), Hooks.NONE));

        assertEquals("a", e.host());
        assertTrue(e.remoteMessage().matches("restore on b failed: .*port " + PORT + " is already in use.*; echo was "
                + "restored here \\(pid \\d+\\)"), e.remoteMessage());
        Workload back = workloadsA.get("echo");
        assertTrue(Workloads.isRunning(back), "running on a again");
        assertTrue(workloadsB.find("echo").isEmpty(), "nothing recorded on b");
        assertEquals(8, echoThrough("a", 8), "served on a again");
        assertCountsOn(awaitTicks(back, ticksBefore, 4));
        assertEquals(List.of(), imagesLeft("a"));
        assertEquals(List.of(), imagesLeft("b"));
        assertNoCriuTables("a");
    }

    @Test
    void anAgentOfAnotherClusterIsRefusedBeforeAnythingIsDumped() throws Exception {
        Workload echo = startEcho();
        ClusterKeys stranger = ClusterKeys.init(tmp.resolve("keys-stranger"), "stranger");
        InetSocketAddress strangerAt = new InetSocketAddress(lab.host("b").address(), AGENT_PORT + 1);
        closers.add(AgentServer.start(strangerAt, stranger, new Checkpointer(workloadsB, stranger,
                tmp.resolve("stranger/images"), CriuLaunch.defaults()),
                AgentServer.Options.defaults().inNetns(lab.host("b").netns())));

        AgentException e = assertThrows(AgentException.class,
                () -> caller.ship(new DumpRequest("echo", false), strangerAt, toB(), Hooks.NONE));

        assertTrue(e.remoteMessage().contains("not signed by the cluster CA"), e.remoteMessage());
        assertTrue(Workloads.isRunning(echo), "never dumped");
        assertThrows(AgentConnectionException.class, () -> AgentClient.connect(strangerAt,
                ClusterKeys.load(tmp.resolve("keys-caller")), lab.host("peer").netns()).health());
    }

    /** EchoCounter as workload echo on a, once it listens and has ticked. */
    private Workload startEcho() throws Exception {
        Workload w = workloadsA.start("echo", ProcessMigrationScenario.echoCounterCommand(), lab.host("a").nsName());
        ProcessMigrationScenario.awaitListening(w);
        awaitTicks(w, 0, 1);
        return w;
    }

    private RestoreRequest toB() {
        return new RestoreRequest(Map.of(lab.host("a").address().getHostAddress(),
                lab.host("b").address().getHostAddress()), lab.host("b").nsName(), false);
    }

    private InetSocketAddress agentAddress(String host) {
        return new InetSocketAddress(lab.host(host).address(), AGENT_PORT);
    }

    /** Sends {@code n} random bytes from the peer host to HOST:7000 and counts the bytes echoed back identical. */
    private int echoThrough(String host, int n) throws Exception {
        return EchoRoundTrip.bytes(lab.host("peer"), new InetSocketAddress(lab.host(host).address(), PORT), n);
    }

    /** Waits until something listens on HOST:7000. */
    private void awaitListening(String host) throws Exception {
        for (int i = 0; i < 1000; i++) {
            String ss = lab.host(host).netns().exec(null, "ss", "-Htln", "sport = :" + PORT);
            if (!ss.isBlank()) return;
            Thread.sleep(10);
        }
        fail("nothing listens on " + host + ":" + PORT);
    }

    private List<String> imagesLeft(String host) throws Exception {
        Path images = tmp.resolve(host + "/images");
        if (!Files.exists(images)) return List.of();
        try (var s = Files.list(images)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    private void assertNoCriuTables(String host) {
        String tables = lab.host(host).netns().exec(null, "nft", "list", "tables");
        assertFalse(tables.contains("CRIU"), "CRIU's lock is gone from " + host + ": " + tables);
    }

    /**
     * The counters in memory went on: every tick in the log is the previous one plus one, from 0, and the echoed
     * count never goes back.
     */
    private static void assertCountsOn(List<Tick> ticks) {
        assertTrue(ProcessMigrationScenario.countsOn(ticks), "ticks count on from 0 without a restart: " + ticks);
    }
}
