package dev.baton.ckpt.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * A connection to the agent a kept dump will be shipped to, opened while the dump is taken: the TCP and TLS
 * handshakes are then done before the ship, which runs while the workload's peers wait. Never fails on its own:
 * a connection that could not be opened is opened again, and its failure reported, by the ship.
 */
final class ConnectAhead implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectAhead.class);

    private final InetSocketAddress target;
    private final CompletableFuture<AgentClient> client = new CompletableFuture<>();

    private ConnectAhead(InetSocketAddress target) {
        this.target = target;
    }

    static ConnectAhead start(InetSocketAddress target, SSLContext tls, Network network) {
        ConnectAhead ahead = new ConnectAhead(target);
        // A platform thread: connecting may enter another network namespace, which is per OS thread.
        Thread.ofPlatform().daemon().name("agent connect-ahead " + AgentConnectionException.at(target)).start(() -> {
            try {
                ahead.client.complete(AgentClient.connect(target, tls, network));
            } catch (AgentConnectionException | RuntimeException e) {
                LOG.debug("connecting ahead to {} failed: {}", target, e.getMessage());
                ahead.client.complete(null);
            }
        });
        return ahead;
    }

    /** The connected client if it goes to {@code to} (waiting for the handshake to end), else null; closed if not. */
    AgentClient client(InetSocketAddress to) {
        AgentClient c = client.join();
        if (c != null && !target.equals(to)) {
            c.close();
            return null;
        }
        return c;
    }

    /** Not needed after all: closes the connection once it is open. */
    @Override
    public void close() {
        client.thenAccept(c -> {
            if (c != null) c.close();
        });
    }
}
