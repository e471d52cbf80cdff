package dev.baton.gateway.migrate;

import java.util.List;
import java.util.Optional;

/**
 * The gateway's migrations, as the admin API offers them: start one, follow it, read the history.
 */
public interface Migrations {
    /**
     * Plans a migration of {@code workload} to the host named {@code toHost} (a host of the gateway's config) and
     * starts it in the background.
     *
     * @throws MigrationRefusedException the plan failed (unknown workload or host, a migration of it already runs,
     *                                   the target lacks CRIU, its port is taken, certificates are wrong): nothing
     *                                   was touched
     */
    MigrationView start(String workload, String toHost);

    /** One migration, running or finished. */
    Optional<MigrationView> find(String id);

    /** Every migration since the gateway started, oldest first. */
    List<MigrationView> history();
}
