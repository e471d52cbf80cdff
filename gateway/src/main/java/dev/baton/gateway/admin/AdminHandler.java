package dev.baton.gateway.admin;

/**
 * Answers one route of the admin API. It runs on a thread of its own (never on Netty's), so it may block briefly.
 *
 * <p>What it returns is the answer: a {@link Reply} as it says, anything else written as JSON with status 200.
 * What it throws is the error answer, always a JSON body {@code {"error": "..."}} carrying the exception's
 * message: {@link AdminException} with its status (404, 400, …),
 * {@link dev.baton.gateway.migrate.MigrationRefusedException} 409, anything else 500 (and logged).
 */
@FunctionalInterface
public interface AdminHandler {
    Object handle(AdminRequest request) throws Exception;
}
