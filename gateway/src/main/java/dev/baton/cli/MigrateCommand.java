package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.gateway.admin.AdminApi;
import dev.baton.gateway.admin.AdminClient;
import dev.baton.gateway.admin.AdminConnectionException;
import dev.baton.gateway.admin.AdminException;
import dev.baton.gateway.migrate.MigrationView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code baton migrate --workload NAME --to HOST}: asks the gateway to move a workload to another host and follows
 * the migration (its events as they come, then a summary). Exit 0 when it succeeded, 1 when it was refused, rolled
 * back or failed. The migration runs in the gateway: interrupting this command does not stop it.
 */
@Command(name = "migrate", description = {
        "Move a workload to another host behind the gateway, its connections with it, and follow the migration.",
        "Exit code 0 when it succeeded; 1 when the gateway refused it, or it rolled back or failed.",
        "The migration runs in the gateway: interrupting this command does not stop it."})
final class MigrateCommand implements Callable<Integer> {
    /** How often the migration is looked at while it runs. */
    static final Duration POLL = Duration.ofMillis(100);

    @Spec
    private CommandSpec spec;

    @Option(names = "--workload", required = true, paramLabel = "NAME", description = "The workload to move.")
    private String workload;

    @Option(names = "--to", required = true, paramLabel = "HOST",
            description = "The host to move it to (a host of the gateway's config).")
    private String to;

    @Mixin
    private AdminCaller caller;

    @Option(names = "--json", description = "Print only the finished migration, as JSON (GET /migrations/ID).")
    private boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        MigrationView done = caller.call("migrating " + workload, gateway -> {
            MigrationView view = start(gateway);
            if (!json) MigrationReport.header(view, out);
            MigrationView last = follow(gateway, view, out);
            if (json) out.println(gateway.get(path(last), JsonNode.class).toPrettyString());
            else MigrationReport.summary(last, out);
            out.flush();
            return last;
        });
        if (done.status() == MigrationView.Status.SUCCEEDED) return 0;
        throw new CommandFailure("migration " + done.id() + " of " + done.workload() + " to " + done.to() + " "
                + (done.status() == MigrationView.Status.ROLLED_BACK ? "rolled back" : "failed") + ": "
                + (done.error() == null ? "the gateway gave no reason" : done.error()));
    }

    private MigrationView start(AdminClient gateway) throws IOException {
        try {
            return gateway.post(AdminApi.MIGRATIONS, new AdminApi.StartMigration(workload, to), MigrationView.class);
        } catch (AdminException e) {
            if (e.status() >= 500) throw e;
            throw new CommandFailure("the gateway refused to migrate " + workload + " to " + to + ": " + e.getMessage(),
                    e);
        }
    }

    /** Looks at the migration every {@link #POLL} until it ends, printing each new event; returns the end. */
    private MigrationView follow(AdminClient gateway, MigrationView view, PrintWriter out) throws IOException {
        int printed = json ? 0 : MigrationReport.newEvents(view, 0, out);
        try {
            while (!view.status().ended()) {
                Thread.sleep(POLL);
                view = gateway.get(path(view), MigrationView.class);
                if (!json) printed = MigrationReport.newEvents(view, printed, out);
            }
            return view;
        } catch (AdminException e) {
            if (e.status() != 404) throw e;
            throw new CommandFailure("the gateway no longer knows migration " + view.id() + " (was it restarted?): "
                    + e.getMessage(), e);
        } catch (AdminConnectionException e) {
            throw new CommandFailure("lost the gateway while following migration " + view.id() + ": " + e.getMessage()
                    + "; the migration may go on there ('baton gateway migrations " + view.id() + "' shows it)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("stopped following migration " + view.id() + "; it goes on in the gateway", e);
        }
    }

    static String path(MigrationView view) {
        return AdminApi.MIGRATIONS + "/" + URLEncoder.encode(view.id(), StandardCharsets.UTF_8);
    }
}
