package dev.baton.e2e;

import dev.baton.ckpt.bundle.BundleWriter;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.demo.EndpointProcess;
import dev.baton.demo.ProcessMigrationScenario;
import dev.baton.gateway.migrate.MigrationView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The mission: a running server with a live client connection moves between hosts with different IPs behind the
 * gateway, and the client — which only knows the gateway — keeps its connection and loses nothing.
 */
@Tag("privileged")
class GatewayMigrationTest {
    @TempDir
    Path tmp;
    private GatewayStage stage;

    @BeforeAll
    static void warmUp() {
        BundleWriter.warmUp();
    }

    @BeforeEach
    void lab() throws Exception {
        stage = GatewayStage.create(tmp);
    }

    @AfterEach
    void tearDown() throws Exception {
        stage.close();
    }

    @Test
    void aLiveConnectionFollowsTheWorkloadABAB() throws Exception {
        Workload first = stage.startWorkload();
        stage.startGateway();
        EndpointProcess peer = stage.connectPeer(200_000);
        Thread.sleep(500);

        String at = "a";
        for (String to : List.of("b", "a", "b")) {
            GatewayStage.Migrated m = stage.migrate(to);
            assertEquals(0, m.exitCode(), m.err() + " " + m.view() + "\n" + stage.gatewayLog());
            assertEquals(MigrationView.Status.SUCCEEDED, m.view().status());
            System.out.printf("%s -> %s: %s%n", at, to, m.view().result());
            m.view().events().forEach(e -> System.out.printf("   %8.1f %-9s %s%n", e.atMs(), e.phase(), e.message()));
            Workload w = stage.workload(to);
            assertTrue(Workloads.isRunning(w), "runs on " + to);
            assertFalse(Workloads.isRunning(stage.workload(at)), "gone from " + at);
            at = to;
            Thread.sleep(500);
        }
        Workload last = stage.workload(at);
        assertTrue(ProcessMigrationScenario.countsOn(ProcessMigrationScenario.awaitTicks(last,
                ProcessMigrationScenario.ticks(last).size(), 2)), "the counters went on from memory");
        assertTrue(ProcessMigrationScenario.startedOnce(last), "never restarted");
        EndpointProcess.Stats before = peer.stats();
        Thread.sleep(500);
        EndpointProcess.Stats stats = peer.stats();
        assertTrue(stats.clean(), stats.toString());
        assertTrue(stats.read() > before.read(), "the echo still flows: " + before + " then " + stats);
        assertTrue(first.rootPid() > 0);
    }
}
