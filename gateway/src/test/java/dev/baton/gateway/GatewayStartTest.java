package dev.baton.gateway;

import dev.baton.gateway.proxy.Service;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Starting and closing the gateway: listen addresses, the state file, threads. */
class GatewayStartTest {
    @TempDir
    Path dir;

    private GatewayConfig twoServices(int firstPort, int secondPort) {
        return GatewayConfig.parse("""
                {"hosts": {"a": {"agent": "127.0.0.1:7441", "address": "127.0.0.1"}},
                 "services": [{"name": "first", "listen": "127.0.0.1:%d", "workload": "w1", "host": "a", "port": 7000},
                              {"name": "second", "listen": "127.0.0.1:%d", "workload": "w2", "host": "a", "port": 7001}],
                 "state": "%s"}
                """.formatted(firstPort, secondPort, dir.resolve("state.json")));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static long gatewayThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("baton-gateway") && t.isAlive()).count();
    }

    @Test
    void aTakenListenPortFailsNamingTheServiceAndTheAddressAndLeavesNothingBound() throws Exception {
        int first = freePort();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            GatewayStartException e = assertThrows(GatewayStartException.class,
                    () -> Gateway.start(twoServices(first, taken.getLocalPort())));
            assertTrue(e.getMessage().startsWith("service second cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("Address already in use"), e.getMessage());
        }
        try (ServerSocket again = new ServerSocket(first, 1, InetAddress.getLoopbackAddress())) {
            assertEquals(first, again.getLocalPort(), "the first service's port was released");
        }
        Thread.sleep(100);
        assertEquals(0, gatewayThreads(), "no event loop thread is left");
    }

    @Test
    void closeReleasesTheListenAddressesAndTheEventLoops() throws Exception {
        int first = freePort(), second = freePort();
        Gateway gateway = Gateway.start(twoServices(first, second));
        assertEquals(new InetSocketAddress(InetAddress.getLoopbackAddress(), first),
                gateway.service("first").map(Service::listen).orElseThrow());
        assertTrue(gatewayThreads() > 0);
        gateway.close();
        gateway.close(); // idempotent
        try (ServerSocket a = new ServerSocket(first, 1, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(second, 1, InetAddress.getLoopbackAddress())) {
            assertTrue(a.isBound() && b.isBound());
        }
        Thread.sleep(100);
        assertEquals(0, gatewayThreads());
    }

    @Test
    void aServiceStartsOnTheHostTheStateFileNames() throws Exception {
        Files.writeString(dir.resolve("state.json"), "{\"version\": 1, \"workloads\": {\"w2\": \"b\"}}");
        GatewayConfig config = GatewayConfig.parse("""
                {"hosts": {"a": {"agent": "127.0.0.1:7441", "address": "127.0.0.1"},
                           "b": {"agent": "127.0.0.2:7441", "address": "127.0.0.2"}},
                 "services": [{"name": "first", "listen": "127.0.0.1:0", "workload": "w1", "host": "a", "port": 7000},
                              {"name": "second", "listen": "127.0.0.1:0", "workload": "w2", "host": "a", "port": 7001}],
                 "state": "%s"}
                """.formatted(dir.resolve("state.json")));
        try (Gateway gateway = Gateway.start(config)) {
            assertEquals(dir.resolve("state.json"), gateway.stateFile());
            assertEquals("a", gateway.service("first").orElseThrow().host());
            assertEquals("b", gateway.service("second").orElseThrow().host());
            assertEquals(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.2"), 7001),
                    gateway.service("second").orElseThrow().target());
        }
    }

    @Test
    void anUnreadableStateFileFailsTheStart() throws Exception {
        Files.writeString(dir.resolve("state.json"), "{\"version\": 7, \"workloads\": {}}");
        GatewayStartException e = assertThrows(GatewayStartException.class,
                () -> Gateway.start(twoServices(0, 0)));
        assertEquals("state file " + dir.resolve("state.json") + " has version 7, this gateway reads version 1",
                e.getMessage());
    }

    @Test
    void resumingOnAnUnknownHostIsRefusedAndChangesNothing() throws Exception {
        try (Gateway gateway = Gateway.start(twoServices(0, 0))) {
            Service s = gateway.service("first").orElseThrow();
            s.pauseNewFlows();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.resumeNewFlows("z"));
            assertEquals("service first: unknown host \"z\" (hosts: a)", e.getMessage());
            assertTrue(s.newFlowsPaused());
            assertFalse(Files.exists(gateway.stateFile()), "nothing written");
        }
    }
}
