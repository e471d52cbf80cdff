package dev.baton.gateway.admin;

import dev.baton.gateway.migrate.MigrationView;
import dev.baton.gateway.migrate.Migrations;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The gateway's standard routes, bound to what the gateway supplies:
 * <pre>
 *   GET  /health                  {"status": "ok", "host": NAME}
 *   GET  /services                the services
 *   GET  /flows[?service=NAME]    the flows, of one service or all
 *   GET  /workloads               the workloads and where they run
 *   POST /migrations              {"workload": NAME, "to": HOST} → 202 and the migration ({@link MigrationView})
 *   GET  /migrations              every migration, oldest first
 *   GET  /migrations/{id}         one migration (404 when unknown): poll it to follow one
 *   GET  /metrics                 Prometheus text
 * </pre>
 * A migration the gateway refuses to start is a 409 whose message says why.
 */
public final class AdminApi {
    public static final String HEALTH = "/health";
    public static final String SERVICES = "/services";
    public static final String FLOWS = "/flows";
    public static final String WORKLOADS = "/workloads";
    public static final String MIGRATIONS = "/migrations";
    public static final String METRICS = "/metrics";

    private AdminApi() {
    }

    /** {@code GET /health}: the gateway answers, as this cluster host. */
    public record Health(String status, String host) {
    }

    /** The body of {@code POST /migrations}: move {@code workload} to the host named {@code to}. */
    public record StartMigration(String workload, String to) {
        public StartMigration {
            if (workload == null || workload.isBlank()) throw new IllegalArgumentException("'workload' is empty");
            if (to == null || to.isBlank()) throw new IllegalArgumentException("'to' is empty");
        }
    }

    /**
     * @param host       the gateway's cluster host name, for {@code /health}
     * @param services   the services, each written as JSON
     * @param flows      the flows of one service (given) or of all
     * @param workloads  the workloads
     * @param migrations starts, finds and lists migrations
     * @param metrics    the metrics in Prometheus' text format
     */
    public static AdminRoutes routes(String host, Supplier<? extends List<?>> services,
                                     Function<Optional<String>, ? extends List<?>> flows,
                                     Supplier<? extends List<?>> workloads, Migrations migrations,
                                     Supplier<String> metrics) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(services, "services");
        Objects.requireNonNull(flows, "flows");
        Objects.requireNonNull(workloads, "workloads");
        Objects.requireNonNull(migrations, "migrations");
        Objects.requireNonNull(metrics, "metrics");
        return new AdminRoutes()
                .get(HEALTH, r -> new Health("ok", host))
                .get(SERVICES, r -> services.get())
                .get(FLOWS, r -> flows.apply(r.query("service")))
                .get(WORKLOADS, r -> workloads.get())
                .post(MIGRATIONS, r -> {
                    StartMigration start = r.body(StartMigration.class);
                    return Reply.accepted(migrations.start(start.workload(), start.to()));
                })
                .get(MIGRATIONS, r -> migrations.history())
                .get(MIGRATIONS + "/{id}", r -> migrations.find(r.pathParam("id")).orElseThrow(
                        () -> AdminException.notFound("no migration " + r.pathParam("id")
                                + " on this gateway (GET /migrations lists them)")))
                .get(METRICS, r -> new Reply.Text(Reply.PROMETHEUS_TEXT, metrics.get()));
    }
}
