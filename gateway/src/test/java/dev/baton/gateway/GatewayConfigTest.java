package dev.baton.gateway;

import dev.baton.ckpt.BatonHome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/** Reading and checking the gateway's config file: pure logic, no sockets. */
class GatewayConfigTest {
    static final String EXAMPLE = """
            {"admin": "127.0.0.1:7440",
             "keys": null,
             "hosts": {"a": {"agent": "198.18.5.2:7441", "address": "198.18.5.2"},
                       "b": {"agent": "198.18.5.3:7441", "address": "198.18.5.3"}},
             "services": [{"name": "echo", "listen": "198.18.5.1:9000", "workload": "echo", "host": "a", "port": 7000}],
             "timeouts": {"connect": "5s", "idle": "1h", "drain": "30s"},
             "state": null}
            """;

    private static String withService(String service) {
        return """
                {"hosts": {"a": {"agent": "198.18.5.2:7441", "address": "198.18.5.2"},
                           "b": {"agent": "198.18.5.3:7441", "address": "198.18.5.3"}},
                 "services": [{"name": "echo", "listen": "198.18.5.1:9000", "workload": "echo", "host": "a", "port": 7000},
                              %s]}
                """.formatted(service);
    }

    private static String refused(String json) {
        return assertThrows(GatewayConfigException.class, () -> GatewayConfig.parse(json)).getMessage();
    }

    @Test
    void theExampleReadsWithItsDefaultsFilledIn() throws Exception {
        GatewayConfig c = GatewayConfig.parse(EXAMPLE);
        assertEquals(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 7440), c.admin());
        assertEquals(BatonHome.resolve("keys"), c.keys(), "keys: null is $BATON_HOME/keys");
        assertEquals(BatonHome.resolve("gateway").resolve("state.json"), c.state(),
                "state: null is $BATON_HOME/gateway/state.json");
        assertEquals(java.util.List.of("a", "b"), java.util.List.copyOf(c.hosts().keySet()), "hosts in file order");
        assertEquals(new GatewayConfig.HostConfig(new InetSocketAddress(InetAddress.ofLiteral("198.18.5.3"), 7441),
                InetAddress.ofLiteral("198.18.5.3")), c.hosts().get("b"));
        assertEquals(new GatewayConfig.ServiceConfig("echo",
                new InetSocketAddress(InetAddress.ofLiteral("198.18.5.1"), 9000), "echo", "a", 7000), c.service("echo"));
        assertEquals(new GatewayConfig.Timeouts(Duration.ofSeconds(5), Duration.ofHours(1), Duration.ofSeconds(30)),
                c.timeouts());
    }

    @Test
    void missingTimeoutsAndAdminTakeTheirDefaults() {
        GatewayConfig c = GatewayConfig.parse("""
                {"hosts": {}, "services": [], "timeouts": {"idle": "200ms"}}""");
        assertEquals(GatewayConfig.DEFAULT_ADMIN, c.admin());
        assertEquals(new GatewayConfig.Timeouts(Duration.ofSeconds(5), Duration.ofMillis(200), Duration.ofSeconds(30)),
                c.timeouts());
    }

    @Test
    void aConfigWrittenAsJsonReadsBackTheSame(@TempDir Path dir) throws Exception {
        GatewayConfig c = GatewayConfig.parse(EXAMPLE.replace("\"state\": null", "\"state\": \"" + dir + "/s.json\"")
                .replace("\"drain\": \"30s\"", "\"drain\": \"1500ms\""));
        assertEquals(c, GatewayConfig.parse(c.toJson()));
        Path file = dir.resolve("gateway.json");
        Files.writeString(file, c.toJson());
        assertEquals(c, GatewayConfig.load(file));
        assertTrue(c.toJson().contains("\"drain\" : \"1500ms\""), c.toJson());
    }

    @Test
    void anUnknownHostIsRefusedNamingTheField() {
        assertEquals("services[1].host: unknown host \"c\" (hosts: a, b)", refused(withService("""
                {"name": "web", "listen": "198.18.5.1:80", "workload": "web", "host": "c", "port": 80}""")));
    }

    @Test
    void aDuplicateListenAddressIsRefused() {
        assertEquals("services[1].listen: 198.18.5.1:9000 is also the listen address of services[0] \"echo\"",
                refused(withService("""
                        {"name": "web", "listen": "198.18.5.1:9000", "workload": "web", "host": "a", "port": 80}""")));
    }

    @Test
    void aDuplicateServiceNameIsRefused() {
        assertEquals("services[1].name: \"echo\" is also services[0]", refused(withService("""
                {"name": "echo", "listen": "198.18.5.1:9001", "workload": "echo", "host": "a", "port": 7001}""")));
    }

    @Test
    void aBadAddressIsRefusedNamingTheFieldAndTheForm() {
        assertEquals("services[1].listen: \"localhost:80\" is not an IP address and port "
                + "(like 127.0.0.1:9000 or [::1]:9000)", refused(withService("""
                {"name": "web", "listen": "localhost:80", "workload": "web", "host": "a", "port": 80}""")));
        assertEquals("hosts.a.address: \"198.18.5\" is not an IP address (like 198.18.5.2 or ::1)",
                refused(EXAMPLE.replace("\"address\": \"198.18.5.2\"", "\"address\": \"198.18.5\"")));
        assertEquals("hosts.b.agent: \"198.18.5.3\" is not an IP address and port "
                + "(like 127.0.0.1:9000 or [::1]:9000)", refused(EXAMPLE.replace("198.18.5.3:7441", "198.18.5.3")));
    }

    @Test
    void aBadPortIsRefused() {
        assertEquals("services[1].port: 70000 is not a port (1-65535)", refused(withService("""
                {"name": "web", "listen": "198.18.5.1:80", "workload": "web", "host": "a", "port": 70000}""")));
        assertEquals("services[1].port: missing", refused(withService("""
                {"name": "web", "listen": "198.18.5.1:80", "workload": "web", "host": "a"}""")));
    }

    @Test
    void twoServicesOfOneWorkloadMustStartOnTheSameHost() {
        assertEquals("services[1].host: workload \"echo\" is on host \"a\" in services[0]", refused(withService("""
                {"name": "echo2", "listen": "198.18.5.1:9001", "workload": "echo", "host": "b", "port": 7001}""")));
        GatewayConfig ok = GatewayConfig.parse(withService("""
                {"name": "echo2", "listen": "198.18.5.1:9001", "workload": "echo", "host": "a", "port": 7001}"""));
        assertEquals(2, ok.services().size());
    }

    @Test
    void anUnknownFieldIsRefusedByItsPath() {
        GatewayConfigException e = assertThrows(GatewayConfigException.class, () -> GatewayConfig.parse(
                withService("{\"name\": \"web\", \"listen\": \"198.18.5.1:80\", \"workload\": \"web\", "
                        + "\"host\": \"a\", \"port\": 80, \"prot\": 1}")));
        assertEquals("services[1].prot", e.field());
        assertEquals("services[1].prot: unknown field", e.getMessage());
    }

    @Test
    void durationsReadAsPeopleWriteThem() {
        assertEquals(Duration.ofMillis(200), Durations.parse("200ms"));
        assertEquals(Duration.ofSeconds(5), Durations.parse("5s"));
        assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
        assertEquals(Duration.ofHours(1), Durations.parse("1h"));
        assertEquals(Duration.ofSeconds(10), Durations.parse("PT10S"));
        assertEquals("timeouts.idle: \"soon\" is not a duration (like 200ms, 5s, 2m, 1h)",
                refused("{\"timeouts\": {\"idle\": \"soon\"}}"));
        assertEquals("timeouts.connect: must be positive, not 0s", refused("{\"timeouts\": {\"connect\": \"0s\"}}"));
        assertEquals("1h", Durations.format(Duration.ofHours(1)));
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("200ms", Durations.format(Duration.ofMillis(200)));
    }

    @Test
    void aListenAddressOffLoopbackIsAllowedBecauseTheConfigSaysSo() {
        GatewayConfig c = GatewayConfig.parse(withService("""
                {"name": "ipv6", "listen": "[::]:9443", "workload": "web", "host": "b", "port": 443}"""));
        assertEquals(new InetSocketAddress(InetAddress.ofLiteral("::"), 9443), c.service("ipv6").listen());
        assertEquals(InetAddress.ofLiteral("198.18.5.1"), c.service("echo").listen().getAddress());
    }

    @Test
    void aFileThatIsNotJsonOrMissingSaysSo(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("gateway.json");
        GatewayConfigException missing = assertThrows(GatewayConfigException.class, () -> GatewayConfig.load(file));
        assertEquals("config file " + file + " does not exist", missing.getMessage());
        Files.writeString(file, "{\"hosts\": ");
        GatewayConfigException broken = assertThrows(GatewayConfigException.class, () -> GatewayConfig.load(file));
        assertTrue(broken.getMessage().contains("(in " + file + ")"), broken.getMessage());
    }
}
