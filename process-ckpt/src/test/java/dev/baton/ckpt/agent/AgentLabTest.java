package dev.baton.ckpt.agent;

import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.netns.NetnsLab;
import dev.baton.socket.StateJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two agents on two hosts of a NetnsLab (network namespaces on a bridge, 198.18.0.0/15), called from a third: the
 * bundle crosses from host a to host b over their own mutually authenticated TLS connection.
 */
@Tag("privileged")
class AgentLabTest {
    private static final PseudoBundle BUNDLE = new PseudoBundle(23, 50L << 20);
    private static final DumpRequest DUMP_WEB = new DumpRequest("web", true);
    private static final int PORT = 7441;

    @TempDir
    Path tmp;
    NetnsLab lab;
    ClusterKeys keysA;
    ClusterKeys keysB;
    ClusterKeys keysCaller;
    FakeHost hostA = new FakeHost(BUNDLE);
    FakeHost hostB = new FakeHost(BUNDLE);
    AgentServer agentA;
    AgentServer agentB;
    AgentClient caller;

    @BeforeEach
    void twoAgentsInTwoNamespaces() throws IOException {
        lab = NetnsLab.create("a", "b", "gw");
        keysA = ClusterKeys.init(tmp.resolve("a"), "a");
        keysB = ClusterKeys.issue(tmp.resolve("a"), "b", tmp.resolve("b"));
        keysCaller = ClusterKeys.issue(tmp.resolve("a"), "gateway", tmp.resolve("gateway"));
        agentA = AgentServer.start(at("a"), keysA, hostA, AgentServer.Options.defaults().inNetns(lab.host("a").netns()));
        agentB = AgentServer.start(at("b"), keysB, hostB, AgentServer.Options.defaults().inNetns(lab.host("b").netns()));
        caller = AgentClient.connect(at("a"), keysCaller, lab.host("gw").netns());
    }

    @AfterEach
    void tearDown() {
        try {
            if (caller != null) caller.close();
            if (agentA != null) agentA.close();
            if (agentB != null) agentB.close();
        } finally {
            if (lab != null) lab.close();
        }
    }

    private InetSocketAddress at(String host) {
        return new InetSocketAddress(lab.host(host).address(), PORT);
    }

    @Test
    void aShipStreamsTheBundleFromAToBIntactAndTheCallerSeesTheHooksOfBothSidesInOrder() throws Exception {
        RecordingHooks hooks = new RecordingHooks();
        RestoreRequest restore = new RestoreRequest(Map.of(lab.host("a").address().getHostAddress(),
                lab.host("b").address().getHostAddress()), null, true);

        ShipReport report = caller.ship(DUMP_WEB, at("b"), restore, hooks);

        assertEquals(DUMP_WEB, hostA.dumpRequest);
        assertEquals(restore, hostB.restoreRequest);
        assertEquals(BUNDLE.sha256(), hostB.restoredSha);
        assertEquals(BUNDLE.size(), report.bytes());
        assertEquals("a", report.source());
        assertEquals("b", report.target());
        assertEquals(1, report.restore().rewrittenSockets());
        assertEquals(List.of("a network-lock", "a post-dump", "b pre-restore", "b post-restore"), hooks.hooks);
        assertTrue(hooks.progress.contains("a seal 52428800/52428800"), hooks.progress.toString());
        assertTrue(hooks.progress.stream().anyMatch(p -> p.startsWith("b open ")), hooks.progress.toString());
        assertEquals(List.of("dump web", "dumped", "committed " + FakeHost.DUMP_ID),
                hostA.eventsUntil("committed " + FakeHost.DUMP_ID));
        assertEquals(List.of("restore", "restored"), hostB.events);
    }

    @Test
    void theTargetDyingMidShipFailsTheSourcesDumpCleanlyWithAMessageThatNamesTheTarget() throws Exception {
        AtomicBoolean killed = new AtomicBoolean();
        hostB.whileRestoring = read -> {
            if (read >= 10 << 20 && killed.compareAndSet(false, true)) agentB.close();
        };

        AgentException e = assertThrows(AgentException.class,
                () -> caller.ship(DUMP_WEB, at("b"), new RestoreRequest(Map.of(), null, false), Hooks.NONE));

        assertEquals("b", e.host());
        assertTrue(e.remoteMessage().startsWith("lost the connection to agent b at " + StateJson.format(at("b"))
                + " during RESTORE"), e.remoteMessage());
        assertEquals(2, hostA.events.size(), hostA.events.toString());
        assertTrue(hostA.events.getLast().startsWith("dump rolled back: "), hostA.events.toString());
    }

    @Test
    void aShipToAnAgentOfAnotherClusterIsRefusedBeforeAnythingIsDumped() throws Exception {
        agentB.close();
        ClusterKeys stranger = ClusterKeys.init(tmp.resolve("stranger"), "b");
        agentB = AgentServer.start(at("b"), stranger, hostB, AgentServer.Options.defaults().inNetns(lab.host("b").netns()));

        AgentException e = assertThrows(AgentException.class,
                () -> caller.ship(DUMP_WEB, at("b"), new RestoreRequest(Map.of(), null, false), Hooks.NONE));

        assertEquals("a", e.host());
        assertEquals("cannot ship to the target: agent at " + StateJson.format(at("b")) + " presented a certificate "
                + "not signed by the cluster CA", e.remoteMessage());
        assertEquals(List.of(), hostA.events);
        assertEquals(List.of(), hostB.events);
    }

    @Test
    void anAgentInANamespaceRefusesACallerFromAnotherCluster() {
        ClusterKeys stranger = ClusterKeys.init(tmp.resolve("stranger"), "gateway");

        AgentConnectionException e = assertThrows(AgentConnectionException.class,
                () -> AgentClient.connect(at("b"), stranger, lab.host("gw").netns()));

        // The stranger does not trust b either, and says so first.
        assertEquals(AgentConnectionException.Reason.UNTRUSTED_PEER, e.reason());
    }
}
