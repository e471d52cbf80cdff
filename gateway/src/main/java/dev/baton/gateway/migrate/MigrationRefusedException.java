package dev.baton.gateway.migrate;

/** A migration was refused while planning, before anything was touched; the message says why. */
public final class MigrationRefusedException extends RuntimeException {
    public MigrationRefusedException(String message) {
        super(message);
    }

    public MigrationRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
