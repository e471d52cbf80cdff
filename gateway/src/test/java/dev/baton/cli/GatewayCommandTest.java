package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.gateway.admin.ScriptedMigrations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code baton gateway} subcommands against a real admin API over in-test data. */
class GatewayCommandTest {
    @TempDir
    Path tmp;
    TestGateway gateway;
    final List<Optional<String>> flowQueries = new ArrayList<>();
    final ScriptedMigrations migrations = new ScriptedMigrations()
            .script("echo", ScriptedMigrations.succeeding())
            .script("web", ScriptedMigrations.rollingBack());

    /** Types this CLI cannot see: it prints whatever fields come, in their order. */
    record Service(String name, String listen, String workload, String host, int flows) {
    }

    record Flow(long id, String service, String peer, String state, long bytesUp, long bytesDown, List<String> flags) {
    }

    @BeforeEach
    void start() throws Exception {
        gateway = TestGateway.start(tmp,
                () -> List.of(new Service("echo", "198.18.0.1:7000", "echo", "198.18.0.2:7000", 2),
                        new Service("web-frontend", "198.18.0.1:8080", "web", "198.18.0.2:8080", 0)),
                service -> {
                    flowQueries.add(service);
                    return service.isPresent() && service.get().equals("nothing") ? List.of() : List.of(
                            new Flow(1, "echo", "198.18.0.9:40312", "open", 1234, 56, List.of("autoread")),
                            new Flow(12, "echo", "198.18.0.9:40318", "half-closed", 0, 7, List.of()));
                },
                migrations);
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void servicesArePrintedAsATableOfTheFieldsTheGatewaySent() {
        Cli r = gateway.run("gateway", "services");

        assertEquals(0, r.exitCode(), r.err());
        assertEquals("""
                NAME          LISTEN           WORKLOAD  HOST             FLOWS
                echo          198.18.0.1:7000  echo      198.18.0.2:7000  2
                web-frontend  198.18.0.1:8080  web       198.18.0.2:8080  0
                """, r.out());
    }

    @Test
    void servicesWithJsonAreTheGatewaysArray() throws Exception {
        Cli r = gateway.run("gateway", "services", "--json");

        assertEquals(0, r.exitCode(), r.err());
        JsonNode services = new ObjectMapper().readTree(r.out());
        assertEquals(2, services.size());
        assertEquals("web-frontend", services.get(1).path("name").asText());
    }

    @Test
    void flowsOfOneServiceAreAskedOfTheGatewayForThatService() {
        Cli all = gateway.run("gateway", "flows");
        Cli one = gateway.run("gateway", "flows", "--service", "echo");
        Cli none = gateway.run("gateway", "flows", "--service", "nothing");

        assertEquals(0, all.exitCode(), all.err());
        assertEquals("""
                ID  SERVICE  PEER              STATE        BYTES_UP  BYTES_DOWN  FLAGS
                1   echo     198.18.0.9:40312  open         1234      56          autoread
                12  echo     198.18.0.9:40318  half-closed  0         7           -
                """, all.out());
        assertEquals(all.out(), one.out());
        assertEquals("no flows of service nothing\n", none.out());
        assertEquals(List.of(Optional.empty(), Optional.of("echo"), Optional.of("nothing")), flowQueries);
    }

    @Test
    void migrationsAreListedAndOneIsShownWithItsFigures() {
        assertEquals("no migrations\n", gateway.run("gateway", "migrations").out());
        migrations.start("echo", "b");
        migrations.start("web", "c");
        for (int i = 0; i < 4; i++) {
            migrations.find("m-1");
            migrations.find("m-2");
        }

        Cli list = gateway.run("gateway", "migrations");
        Cli one = gateway.run("gateway", "migrations", "m-1");

        assertEquals(0, list.exitCode(), list.err());
        assertEquals("""
                ID   WORKLOAD  FROM  TO  STATUS       STARTED               FREEZE   ERROR
                m-1  echo      a     b   SUCCEEDED    2026-11-25T10:15:30Z  36.6 ms  -
                m-2  web       a     c   ROLLED_BACK  2026-11-25T10:15:30Z  -        restore on b failed: port 7000 is taken there
                """, list.out());
        assertEquals(0, one.exitCode(), one.err());
        assertTrue(one.out().startsWith("migrating echo from a to b (migration m-1)\n"
                + "  +   0.4 ms  plan       2 flows, target b at 198.18.0.3:7441\n"), one.out());
        assertTrue(one.out().endsWith("migration m-1 SUCCEEDED\n"
                + "  phases   plan 0.4 ms, freeze 0.3 ms, dump 14.2 ms, restore 21.5 ms, thaw 0.2 ms\n"
                + "  freeze   36.6 ms, 2 flows, 1536 bytes held\n"
                + "  gaps     longest up 38.2 ms (flow 1, 198.18.0.1:40312), down 40.5 ms (flow 2, 198.18.0.1:40318)\n"
                + "  wire     0 RST, 0 holes, 0 dups in 1234 packets (/var/lib/baton/migrations/m-1.pcap)\n"), one.out());
    }

    @Test
    void anUnknownMigrationIsOneLineFromTheGateway() {
        Cli r = gateway.run("gateway", "migrations", "m-9");

        assertEquals(1, r.exitCode());
        assertEquals("baton: no migration m-9 on this gateway (GET /migrations lists them)\n", r.err());
    }

    @Test
    void aGatewayThatIsNotRunningIsSaidPlainly() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        Cli r = Cli.run("gateway", "services", "--admin", "127.0.0.1:" + port, "--keys", gateway.cliKeys.toString());

        assertEquals(1, r.exitCode());
        assertEquals("baton: no gateway admin API at 127.0.0.1:" + port + " (is `baton gateway` running?)\n", r.err());
    }

    @Test
    void keysOfAnotherClusterAreSaidToBeTheProblem() {
        Path other = tmp.resolve("other");
        ClusterKeys.init(other, "cli");

        Cli r = Cli.run("gateway", "flows", "--admin", gateway.admin(), "--keys", other.toString());

        assertEquals(1, r.exitCode());
        assertEquals("baton: the gateway admin API at " + gateway.admin() + " presented a certificate not issued by "
                + "our cluster CA (another cluster's gateway, or the wrong keys)\n", r.err());
    }

    @Test
    void theAdminAddressDefaultsToLoopback() {
        Cli r = Cli.run("gateway", "services", "--help");

        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("The gateway's admin API, IP:PORT (default 127.0.0.1:7440)."), r.out());
        assertEquals(new InetSocketAddress("127.0.0.1", 7440), dev.baton.gateway.admin.AdminServer.DEFAULT_LISTEN);
    }

    @Test
    void runningTheGatewayWithoutAConfigSaysWhatToGive() {
        Cli r = Cli.run("gateway");

        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("--config FILE"), r.err());
    }

    @Test
    void aMissingConfigFileIsNamed() {
        Cli r = Cli.run("gateway", "--config", tmp.resolve("gateway.json").toString());

        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains(tmp.resolve("gateway.json").toString()), r.err());
    }

    @Test
    void aConfigNamingAnUnknownHostIsRefusedWithTheField() throws Exception {
        Path file = tmp.resolve("gateway.json");
        java.nio.file.Files.writeString(file, """
                {"hosts": {"a": {"agent": "198.18.0.2:7441", "address": "198.18.0.2"}},
                 "services": [{"name": "echo", "listen": "127.0.0.1:0", "workload": "echo", "host": "z", "port": 7000}]}
                """);
        Cli r = Cli.run("gateway", "--config", file.toString());

        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("services[0].host"), r.err());
        assertTrue(r.err().contains("z"), r.err());
    }
}
