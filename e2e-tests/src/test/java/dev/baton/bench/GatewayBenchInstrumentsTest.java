package dev.baton.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.bench.GatewayBenchClient.ConnectionRate;
import dev.baton.bench.GatewayBenchClient.Idle;
import dev.baton.bench.GatewayBenchClient.Latency;
import dev.baton.bench.GatewayBenchClient.Throughput;
import dev.baton.netns.NetnsLab;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The gateway benchmark's instruments measure what they claim: its client and server as separate processes on two
 * hosts of a lab, talking directly (the proxies are the benchmark's subject, not this test's).
 */
@Tag("privileged")
class GatewayBenchInstrumentsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static NetnsLab lab;
    private static GatewayBenchProcess server;
    private static GatewayBenchProcess client;
    private static String target;

    @BeforeAll
    static void startClientAndServer() throws Exception {
        lab = NetnsLab.create("client", "server");
        target = lab.host("server").address().getHostAddress() + ":9000";
        server = GatewayBenchProcess.java("server", lab.host("server").netns(), null, GatewayBenchServer.class,
                target);
        server.await("LISTENING", Duration.ofSeconds(30));
        client = GatewayBenchProcess.java("client", lab.host("client").netns(), null, GatewayBenchClient.class);
        client.await("READY", Duration.ofSeconds(30));
    }

    @AfterAll
    static void stopThem() throws Exception {
        try {
            if (client != null) client.close();
            if (server != null) server.close();
        } finally {
            if (lab != null) lab.close();
        }
    }

    private static <T> T ask(String command, Class<T> type) throws Exception {
        return JSON.readValue(client.ask(command, "RESULT", Duration.ofSeconds(60)), type);
    }

    @Test
    void throughputIsTheBytesTheServerCountedOverTheWholeTransfer() throws Exception {
        Throughput t = ask("THROUGHPUT " + target + " 2 300", Throughput.class);
        assertEquals(2, t.streams());
        assertTrue(t.nanos() >= 300_000_000L, "the transfer lasted at least the time asked: " + t);
        // The client writes 256 KiB at a time and the server counts every byte it read: whole buffers.
        assertTrue(t.bytes() >= 2 * 256 * 1024 && t.bytes() % (256 * 1024) == 0, "whole buffers: " + t);
        assertTrue(t.megabytesPerSecond() > 10, "more than a trickle: " + t);
    }

    @Test
    void latencyHasOneSampleForEveryMeasuredRoundTripOnEveryConnection() throws Exception {
        Latency l = ask("LATENCY " + target + " 3 500 50", Latency.class);
        assertEquals(3, l.connections());
        assertEquals(1500, l.samples());
        assertTrue(0 < l.medianNanos() && l.medianNanos() <= l.p99Nanos() && l.p99Nanos() <= l.p999Nanos()
                && l.p999Nanos() <= l.maxNanos(), "ordered percentiles: " + l);
    }

    @Test
    void connectionRateCountsCompletedExchangesOverTheMeasuredWindow() throws Exception {
        ConnectionRate r = ask("CONNRATE " + target + " 2 300 100", ConnectionRate.class);
        assertEquals(0, r.failures());
        assertEquals(300_000_000L, r.nanos());
        assertTrue(r.connections() > 30, "connect, echo and close take far less than 10 ms: " + r);
    }

    @Test
    void idleConnectionsAreCountedByTheServerUntilTheClientClosesThem() throws Exception {
        Idle opened = ask("IDLE " + target + " 200", Idle.class);
        assertEquals(new Idle(200, 0, opened.nanos()), opened);
        assertEquals(200, awaitServerIdle(200));
        Idle closed = ask("CLOSEIDLE", Idle.class);
        assertEquals(200, closed.count());
        assertEquals(0, awaitServerIdle(0));
    }

    @Test
    void aProbeOfAPortNobodyListensOnFailsWithTheAddress() throws Exception {
        String nowhere = lab.host("server").address().getHostAddress() + ":9001";
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> client.ask("PROBE " + nowhere + " 200", "RESULT", Duration.ofSeconds(10)));
        assertTrue(e.getMessage().contains("no path to /" + nowhere + " within 200 ms"), e.getMessage());
    }

    private static int awaitServerIdle(int expected) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        int now;
        do {
            now = Integer.parseInt(server.ask("IDLE", "IDLE", Duration.ofSeconds(5)));
            if (now == expected) return now;
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return now;
    }
}
