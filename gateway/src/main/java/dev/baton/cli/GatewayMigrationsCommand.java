package dev.baton.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.gateway.admin.AdminApi;
import dev.baton.gateway.migrate.MigrationResult;
import dev.baton.gateway.migrate.MigrationView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code baton gateway migrations [ID] [--json]}: the gateway's migrations (a table), or one with its events and
 * figures.
 */
@Command(name = "migrations", description = "List the migrations of a running gateway, or show one (its events, "
        + "phase timings, gaps, wire audit).")
final class GatewayMigrationsCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "The migration to show.")
    private String id;

    @Mixin
    private AdminCaller caller;

    @Option(names = "--json", description = "The gateway's JSON instead of text.")
    private boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String path = id == null ? AdminApi.MIGRATIONS
                : AdminApi.MIGRATIONS + "/" + URLEncoder.encode(id, StandardCharsets.UTF_8);
        if (json) {
            out.println(caller.call("reading migrations", gateway -> gateway.get(path, JsonNode.class)).toPrettyString());
        } else if (id == null) {
            table(caller.call("listing migrations",
                    gateway -> gateway.get(path, new TypeReference<List<MigrationView>>() {})), out);
        } else {
            MigrationView view = caller.call("reading migration " + id, gateway -> gateway.get(path, MigrationView.class));
            MigrationReport.header(view, out);
            MigrationReport.newEvents(view, 0, out);
            if (view.status().ended()) MigrationReport.summary(view, out);
            else out.printf("migration %s RUNNING%n", view.id());
        }
        out.flush();
        return 0;
    }

    private static void table(List<MigrationView> migrations, PrintWriter out) {
        if (migrations.isEmpty()) {
            out.println("no migrations");
            return;
        }
        Table t = Table.withColumns("ID", "WORKLOAD", "FROM", "TO", "STATUS", "STARTED", "FREEZE", "ERROR");
        for (MigrationView m : migrations) {
            MigrationResult r = m.result();
            t.row(m.id(), m.workload(), m.from(), m.to(), m.status(), m.started(),
                    r == null ? null : String.format("%.1f ms", r.freezeMs()), m.error());
        }
        t.print(out);
    }
}
