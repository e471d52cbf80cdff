package dev.baton.gateway.admin;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.gateway.admin.AdminApi.Health;
import dev.baton.gateway.admin.AdminApi.StartMigration;
import dev.baton.gateway.migrate.MigrationView;
import dev.baton.gateway.migrate.MigrationView.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The standard routes ({@link AdminApi}) over a real server, bound to in-test suppliers and scripted migrations. */
class AdminApiTest {
    @TempDir
    Path tmp;
    AdminServer server;
    AdminClient client;
    final List<Optional<String>> flowQueries = new ArrayList<>();
    final ScriptedMigrations migrations = new ScriptedMigrations()
            .script("echo", ScriptedMigrations.succeeding())
            .refuse("db", "host b has no CRIU: install CRIU 4.2 there");

    record Flow(long id, String service, String peer, long bytesUp, Instant opened) {
    }

    @BeforeEach
    void gateway() throws IOException {
        ClusterKeys keys = ClusterKeys.init(tmp.resolve("gw"), "gw");
        ClusterKeys cli = ClusterKeys.issue(tmp.resolve("gw"), "cli", tmp.resolve("cli"));
        AdminRoutes routes = AdminApi.routes("gw",
                () -> List.of(Map.of("name", "echo", "listen", "198.18.0.1:7000")),
                service -> {
                    flowQueries.add(service);
                    return List.of(new Flow(1, "echo", "198.18.0.9:40312", 42, Instant.parse("2026-11-25T10:00:00Z")));
                },
                () -> List.of(Map.of("name", "echo", "host", "a")),
                migrations,
                () -> "# TYPE baton_flows gauge\nbaton_flows 1\n");
        server = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), keys.tlsContext(), routes);
        client = AdminClient.create(server.address(), cli);
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void healthSaysOkAndTheGatewaysHostName() throws Exception {
        assertEquals(new Health("ok", "gw"), client.get(AdminApi.HEALTH, Health.class));
    }

    @Test
    void servicesFlowsAndWorkloadsAreWhatTheGatewaySupplies() throws Exception {
        assertEquals("198.18.0.1:7000", client.get("/services", JsonNode.class).get(0).path("listen").asText());
        assertEquals("a", client.get("/workloads", JsonNode.class).get(0).path("host").asText());

        JsonNode flows = client.get("/flows", JsonNode.class);
        assertEquals("2026-11-25T10:00:00Z", flows.get(0).path("opened").asText());
        client.get("/flows?service=echo", JsonNode.class);
        assertEquals(List.of(Optional.empty(), Optional.of("echo")), flowQueries);
    }

    @Test
    void startingAMigrationAnswers202WithTheRunningMigration() throws Exception {
        MigrationView started = client.post(AdminApi.MIGRATIONS, new StartMigration("echo", "b"), MigrationView.class);

        assertEquals("m-1", started.id());
        assertEquals(Status.RUNNING, started.status());
        assertEquals("b", started.to());
        assertEquals(List.of("echo→b"), migrations.started());
    }

    @Test
    void aMigrationIsFollowedByItsIdUntilItEnds() throws Exception {
        String id = client.post("/migrations", new StartMigration("echo", "b"), MigrationView.class).id();

        MigrationView view;
        int looks = 0;
        do {
            view = client.get("/migrations/" + id, MigrationView.class);
            looks++;
        } while (!view.status().ended());

        assertEquals(4, looks, "three events one by one, then the end");
        assertEquals(Status.SUCCEEDED, view.status());
        assertEquals(ScriptedMigrations.succeeding().events(), view.events());
        assertEquals(ScriptedMigrations.figures(), view.result(), "the figures survive JSON both ways");
        assertNull(view.error());
        assertEquals(List.of(view), client.get("/migrations", new TypeReference<List<MigrationView>>() {}));
    }

    @Test
    void anUnknownMigrationIsA404() {
        AdminException e = assertThrows(AdminException.class, () -> client.get("/migrations/m-9", MigrationView.class));
        assertEquals(404, e.status());
        assertEquals("no migration m-9 on this gateway (GET /migrations lists them)", e.getMessage());
    }

    @Test
    void aRefusedMigrationIsA409WithTheReason() {
        AdminException e = assertThrows(AdminException.class,
                () -> client.post("/migrations", new StartMigration("db", "b"), MigrationView.class));
        assertEquals(409, e.status());
        assertEquals("host b has no CRIU: install CRIU 4.2 there", e.getMessage());
    }

    @Test
    void aStartWithoutATargetIsA400NamingTheField() {
        AdminException missing = assertThrows(AdminException.class,
                () -> client.post("/migrations", Map.of("workload", "echo"), MigrationView.class));
        assertEquals(400, missing.status());
        assertEquals("bad JSON body: missing field 'to'", missing.getMessage());

        AdminException empty = assertThrows(AdminException.class,
                () -> client.post("/migrations", Map.of("workload", "echo", "to", " "), MigrationView.class));
        assertEquals(400, empty.status());
        assertEquals("bad JSON body: 'to' is empty", empty.getMessage());
        assertEquals(List.of(), migrations.started(), "nothing was asked of the migrations");
    }

    @Test
    void metricsArePrometheusText() throws Exception {
        assertEquals("# TYPE baton_flows gauge\nbaton_flows 1\n", client.getText(AdminApi.METRICS));
    }

    @Test
    void anAnswerThatIsNotJsonIsAProtocolErrorForTheJsonCalls() {
        AdminConnectionException e = assertThrows(AdminConnectionException.class,
                () -> client.get("/metrics", JsonNode.class));
        assertEquals(AdminConnectionException.Reason.PROTOCOL, e.reason());
        assertEquals(true, e.getMessage().startsWith("the gateway admin API at " + dev.baton.socket.StateJson.format(
                server.address()) + " answered GET /metrics with JSON this client cannot read"), e.getMessage());
    }
}
