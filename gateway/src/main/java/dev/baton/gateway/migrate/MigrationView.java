package dev.baton.gateway.migrate;

import java.time.Instant;
import java.util.List;

/**
 * A migration as the admin API shows it (JSON).
 *
 * @param id       names the migration
 * @param workload the workload that moves
 * @param from     the host it was on
 * @param to       the host it moves to
 * @param status   where it is
 * @param started  when it was asked for
 * @param events   what happened so far, in order (live progress)
 * @param result   the figures, once it ended (null while it runs)
 * @param error    why it failed or rolled back (null otherwise)
 */
public record MigrationView(String id, String workload, String from, String to, Status status, Instant started,
                            List<Event> events, MigrationResult result, String error) {
    public MigrationView {
        events = List.copyOf(events);
    }

    public enum Status {
        RUNNING, SUCCEEDED, ROLLED_BACK, FAILED;

        public boolean ended() {
            return this != RUNNING;
        }
    }

    /**
     * One step of a migration.
     *
     * @param atMs    milliseconds since the migration started
     * @param phase   the phase it belongs to (plan, freeze, dump, re-point, ship, restore, thaw, commit, rollback, …)
     * @param message what happened, for a person
     */
    public record Event(double atMs, String phase, String message) {
    }
}
