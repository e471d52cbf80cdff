package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.gateway.admin.ScriptedMigrations;
import dev.baton.gateway.migrate.MigrationView;
import dev.baton.gateway.migrate.Migrations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code baton migrate} against a real admin API whose migrations follow a script. */
class MigrateCommandTest {
    @TempDir
    Path tmp;
    TestGateway gateway;
    final ScriptedMigrations migrations = new ScriptedMigrations()
            .script("echo", ScriptedMigrations.succeeding())
            .script("web", ScriptedMigrations.rollingBack())
            .refuse("db", "host b has no CRIU: install CRIU 4.2 there");

    @BeforeEach
    void start() throws Exception {
        gateway = TestGateway.start(tmp, List::of, service -> List.of(), migrations);
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void aMigrationThatSucceedsPrintsEachEventThenTheSummaryAndExits0() {
        Cli r = gateway.run("migrate", "--workload", "echo", "--to", "b");

        assertEquals(0, r.exitCode(), r.err());
        assertEquals("""
                migrating echo from a to b (migration m-1)
                  +   0.4 ms  plan       2 flows, target b at 198.18.0.3:7441
                  +  12.3 ms  freeze     2 flows frozen
                  +  48.9 ms  thaw       2 flows thawed on b
                migration m-1 SUCCEEDED
                  phases   plan 0.4 ms, freeze 0.3 ms, dump 14.2 ms, restore 21.5 ms, thaw 0.2 ms
                  freeze   36.6 ms, 2 flows, 1536 bytes held
                  gaps     longest up 38.2 ms (flow 1, 198.18.0.1:40312), down 40.5 ms (flow 2, 198.18.0.1:40318)
                  wire     0 RST, 0 holes, 0 dups in 1234 packets (/var/lib/baton/migrations/m-1.pcap)
                """, r.out());
        assertEquals("", r.err());
        assertEquals(List.of("echo→b"), migrations.started());
    }

    @Test
    void aMigrationThatRolledBackPrintsWhatHappenedAndExits1WithTheError() {
        Cli r = gateway.run("migrate", "--workload", "web", "--to", "b");

        assertEquals(1, r.exitCode());
        assertEquals("""
                migrating web from a to b (migration m-1)
                  +   0.5 ms  plan       2 flows, target b at 198.18.0.3:7441
                  +  11.0 ms  freeze     2 flows frozen
                  +  95.2 ms  rollback   restored on a, 2 flows thawed
                migration m-1 ROLLED_BACK
                  error    restore on b failed: port 7000 is taken there
                """, r.out());
        assertEquals("baton: migration m-1 of web to b rolled back: restore on b failed: port 7000 is taken there\n",
                r.err());
    }

    @Test
    void aRefusedMigrationExits1WithTheReason() {
        Cli r = gateway.run("migrate", "--workload", "db", "--to", "b");

        assertEquals(1, r.exitCode());
        assertEquals("", r.out());
        assertEquals("baton: the gateway refused to migrate db to b: host b has no CRIU: install CRIU 4.2 there\n",
                r.err());
    }

    @Test
    void withJsonItPrintsOnlyTheFinishedMigration() throws Exception {
        Cli r = gateway.run("migrate", "--workload", "echo", "--to", "b", "--json");

        assertEquals(0, r.exitCode(), r.err());
        JsonNode view = new ObjectMapper().readTree(r.out());
        assertEquals("SUCCEEDED", view.path("status").asText());
        assertEquals("2026-11-25T10:15:30Z", view.path("started").asText());
        assertEquals(3, view.path("events").size());
        assertEquals(36.6, view.path("result").path("freezeMs").asDouble());
        assertEquals(1536, view.path("result").path("heldBytes").asLong());
    }

    @Test
    void withJsonARolledBackMigrationStillExits1() throws Exception {
        Cli r = gateway.run("migrate", "--workload", "web", "--to", "b", "--json");

        assertEquals(1, r.exitCode());
        assertEquals("ROLLED_BACK", new ObjectMapper().readTree(r.out()).path("status").asText());
        assertEquals("baton: migration m-1 of web to b rolled back: restore on b failed: port 7000 is taken there\n",
                r.err());
    }

    @Test
    void aGatewayThatForgetsTheMigrationWhileFollowedEndsItWithOneLine() throws Exception {
        Migrations forgetful = new Migrations() {
            @Override
            public MigrationView start(String workload, String toHost) {
                return migrations.start(workload, toHost);
            }

            @Override
            public Optional<MigrationView> find(String id) {
                return Optional.empty();
            }

            @Override
            public List<MigrationView> history() {
                return List.of();
            }
        };
        try (TestGateway restarted = TestGateway.start(tmp.resolve("restarted"), List::of, s -> List.of(), forgetful)) {
            Cli r = restarted.run("migrate", "--workload", "echo", "--to", "b");

            assertEquals(1, r.exitCode());
            assertEquals("baton: the gateway no longer knows migration m-1 (was it restarted?): no migration m-1 on "
                    + "this gateway (GET /migrations lists them)\n", r.err());
        }
    }

    @Test
    void withoutTheTargetItIsAUsageError() {
        Cli r = gateway.run("migrate", "--workload", "echo");

        assertEquals(2, r.exitCode());
        assertEquals("baton: Missing required option: '--to=HOST'", r.err().lines().findFirst().orElseThrow());
    }
}
