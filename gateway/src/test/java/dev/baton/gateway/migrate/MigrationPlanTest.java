package dev.baton.gateway.migrate;

import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.gateway.Gateway;
import dev.baton.gateway.GatewayConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A migration that cannot work is refused while planning, with a reason a user can act on, before any flow is
 * frozen — and leaves no trace in the history.
 */
class MigrationPlanTest {
    @TempDir
    Path dir;
    private Gateway gateway;
    private Migrator migrator;
    private int deadAgentPort;

    @BeforeEach
    void gateway() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadAgentPort = s.getLocalPort(); // closed again: nothing listens there
        }
        gateway = Gateway.start(GatewayConfig.parse("""
                {"hosts": {"a": {"agent": "127.0.0.1:%d", "address": "127.0.0.1"},
                           "b": {"agent": "127.0.0.1:%d", "address": "127.0.0.2"}},
                 "services": [{"name": "web", "listen": "127.0.0.1:0", "workload": "echo", "host": "a", "port": 7000}],
                 "state": "%s"}
                """.formatted(deadAgentPort, deadAgentPort, dir.resolve("state.json"))));
        migrator = new Migrator(gateway, ClusterKeys.init(dir.resolve("keys"), "gw"), dir.resolve("migrations"));
    }

    @AfterEach
    void close() {
        migrator.close();
        gateway.close();
    }

    @Test
    void anUnknownWorkloadIsRefusedNamingTheKnownOnes() {
        MigrationRefusedException e = assertThrows(MigrationRefusedException.class, () -> migrator.start("nope", "b"));
        assertEquals("no service of the gateway fronts a workload named 'nope' (workloads: [echo])", e.getMessage());
    }

    @Test
    void anUnknownHostIsRefusedNamingTheKnownOnes() {
        MigrationRefusedException e = assertThrows(MigrationRefusedException.class, () -> migrator.start("echo", "c"));
        assertEquals("no host named 'c' in the gateway's config (hosts: [a, b])", e.getMessage());
    }

    @Test
    void movingToWhereItRunsIsRefused() {
        MigrationRefusedException e = assertThrows(MigrationRefusedException.class, () -> migrator.start("echo", "a"));
        assertEquals("echo already runs on a", e.getMessage());
    }

    @Test
    void anUnreachableTargetAgentIsRefusedBeforeAnyFlowIsFrozen() {
        MigrationRefusedException e = assertThrows(MigrationRefusedException.class, () -> migrator.start("echo", "b"));
        assertTrue(e.getMessage().startsWith("cannot reach agent b at "), e.getMessage());
        assertTrue(e.getMessage().contains(":" + deadAgentPort), e.getMessage());
        assertFalse(gateway.services().getFirst().newFlowsPaused(), "new flows were never paused");
        assertEquals(List.of(), migrator.history(), "a refused migration leaves no history");
    }
}
