package dev.baton.cli;

import dev.baton.gateway.admin.AdminClient;
import dev.baton.gateway.admin.AdminConnectionException;
import dev.baton.gateway.admin.AdminException;
import dev.baton.gateway.admin.AdminServer;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * How every command that talks to a running gateway calls its admin API (a picocli mixin): {@code --admin ADDR}
 * (loopback by default, as the gateway listens), as this host ({@code --keys DIR}). A failure ends the command
 * with one line: the connection problem as the client words it, or the gateway's own error message.
 */
final class AdminCaller {
    @Option(names = "--admin", paramLabel = "ADDR", converter = AddressConverter.class,
            description = "The gateway's admin API, IP:PORT (default 127.0.0.1:7440).")
    private InetSocketAddress admin = AdminServer.DEFAULT_LISTEN;

    @Option(names = "--keys", paramLabel = "DIR", description = HostKeys.HELP)
    private Path keysDir;

    /** Calls on the gateway, on one client. */
    @FunctionalInterface
    interface Calls<T> {
        T on(AdminClient gateway) throws IOException;
    }

    /**
     * Runs {@code calls} on a client of the gateway that is closed afterwards.
     *
     * @param what what is asked of the gateway, as in "{@code what} failed on the gateway: …"
     */
    <T> T call(String what, Calls<T> calls) {
        try (AdminClient gateway = AdminClient.create(admin, HostKeys.load(keysDir))) {
            return calls.on(gateway);
        } catch (AdminConnectionException e) {
            throw new CommandFailure(e.getMessage(), e);
        } catch (AdminException e) {
            // 4xx messages are written for the user (no such id, refused and why); 5xx ones name what broke.
            throw new CommandFailure(e.status() >= 500 ? what + " failed on the gateway: " + e.getMessage()
                    : e.getMessage(), e);
        } catch (InterruptedIOException e) {
            throw new CommandFailure(what + ": interrupted", e);
        } catch (IOException e) {
            throw new CommandFailure(what + " failed: " + e.getMessage(), e);
        }
    }
}
