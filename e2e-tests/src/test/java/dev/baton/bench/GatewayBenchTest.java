package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.*;

/** The gateway benchmark's pure parts: percentiles and the proxies' configurations. */
class GatewayBenchTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void percentilesAreNearestRank() {
        long[] sorted = new long[100];
        for (int i = 0; i < 100; i++) sorted[i] = i + 1;
        assertEquals(50, GatewayBenchClient.percentile(sorted, 0.5));
        assertEquals(99, GatewayBenchClient.percentile(sorted, 0.99));
        assertEquals(100, GatewayBenchClient.percentile(sorted, 0.999));
        assertEquals(7, GatewayBenchClient.percentile(new long[]{7}, 0.99));
    }

    @Test
    void otherProcessesCpuShareIsBusyTimeLessTheBenchmarksOwnOverAllCores() {
        int cores = Runtime.getRuntime().availableProcessors();
        GatewayBenchCpu start = new GatewayBenchCpu(1_000, 400, 0);
        // Two seconds: busy rose by 100 ticks per core, the benchmark's processes took 40 of them.
        GatewayBenchCpu end = new GatewayBenchCpu(1_000 + 100L * cores, 440, 2_000_000_000L);
        assertEquals((100.0 * cores - 40) / 100 / 2 / cores, start.othersShareUntil(end), 1e-9);
        assertEquals(0, start.othersShareUntil(new GatewayBenchCpu(1_010, 420, 1_000_000_000L)),
                "never below zero when the benchmark's own ticks outrun the machine's");
    }

    @Test
    void aCpuListCountsEachCpuAndEachRangeInclusively() {
        assertEquals(1, GatewayBenchProcess.cpuCount("1"));
        assertEquals(3, GatewayBenchProcess.cpuCount("0,2-3"));
        assertEquals(Runtime.getRuntime().availableProcessors(), GatewayBenchProcess.cpuCount(null));
        assertEquals(java.util.List.of("taskset", "-c", "0-1", "haproxy"),
                GatewayBenchProcess.onCpus("0-1", java.util.List.of("haproxy")));
    }

    @Test
    void haproxyForwardsInTcpModeWithAThreadPerCoreAndAmpleLimits() {
        String config = GatewayBenchProxy.Haproxy.config(address("198.18.5.2", 9000), address("198.18.5.3", 9000), 2);
        assertTrue(config.contains("mode tcp"), config);
        assertTrue(config.contains("nbthread 2"), config);
        assertTrue(config.contains("no strict-limits"), config);
        assertEquals(2, config.lines().filter(l -> l.strip().equals("maxconn 20000")).count(), config);
        assertTrue(config.contains("bind 198.18.5.2:9000"), config);
        assertTrue(config.contains("server s 198.18.5.3:9000"), config);
    }

    @Test
    void theGatewayConfigIsJsonWithOneServiceFromTheProxyToTheServerHost() throws Exception {
        JsonNode c = JSON.readTree(GatewayBenchProxy.Gateway.config(address("198.18.5.2", 9000),
                address("198.18.5.3", 9000)));
        assertEquals("198.18.5.3", c.at("/hosts/s/address").asText());
        JsonNode service = c.at("/services/0");
        assertEquals("198.18.5.2:9000", service.get("listen").asText());
        assertEquals("s", service.get("host").asText());
        assertEquals(9000, service.get("port").asInt());
    }

    private static InetSocketAddress address(String ip, int port) {
        return new InetSocketAddress(InetAddress.ofLiteral(ip), port);
    }
}
