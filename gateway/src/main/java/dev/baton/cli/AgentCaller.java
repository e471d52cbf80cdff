package dev.baton.cli;

import dev.baton.ckpt.agent.AgentClient;
import dev.baton.ckpt.agent.AgentException;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * How every {@code baton agent} subcommand calls an agent (a picocli mixin): as this host ({@code --keys DIR}),
 * on a connection of its own that the call closes; a failure on the agent ends the command with one line
 * naming what failed and on which host. Connection and TLS failures keep their own message.
 */
final class AgentCaller {
    @Option(names = "--keys", paramLabel = "DIR", description = HostKeys.HELP)
    private Path keysDir;

    /** One call on the agent at {@code agent}. */
    @FunctionalInterface
    interface Call<T> {
        T on(AgentClient agent) throws IOException, AgentException;
    }

    /** @param what what is asked of the agent, as in "{@code what} failed on HOST: …" */
    <T> T call(InetSocketAddress agent, String what, Call<T> call) throws IOException {
        try (AgentClient client = AgentClient.connect(agent, HostKeys.load(keysDir))) {
            return call.on(client);
        } catch (AgentException e) {
            throw new CommandFailure(what + " failed on " + e.host() + ": " + e.remoteMessage(), e);
        }
    }
}
