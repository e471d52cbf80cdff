package dev.baton.ckpt.agent;

import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.keys.ClusterTlsFailures;
import dev.baton.netns.NetNamespace;
import dev.baton.socket.StateJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code baton agent}: serves one host's {@link HostService} to the other hosts of the cluster over mutually
 * authenticated TLS 1.3, one connection per call, a virtual thread per connection. A caller must present a
 * certificate issued by the cluster CA; any other is refused at the handshake. Every call is logged with the
 * caller's name (the CN of its certificate).
 *
 * <p>It listens where it is told; the CLI's default is loopback ({@code 127.0.0.1:7441}), so reaching it from
 * another host takes an explicit address. {@link #close()} stops listening and drops the calls in flight, whose
 * operations then fail and roll back.
 */
public final class AgentServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentServer.class);
    /** The CLI's default address: loopback only. */
    public static final InetSocketAddress DEFAULT_LISTEN = new InetSocketAddress("127.0.0.1", 7441);
    /** A connection that sends no call within this time is dropped. */
    static final Duration IDLE_LIMIT = Duration.ofMinutes(2);
    /** How long a caller may take for the TLS handshake. */
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    /**
     * How an agent runs.
     *
     * @param hookTimeout   how long the operation waits for the caller to answer a hook before it aborts
     * @param netns         the network namespace whose host this agent serves: it listens, and connects to a SHIP's
     *                      target, from inside it; null for this process's own
     * @param settleTimeout how long a dump kept by CHECKPOINT waits to be shipped or settled; then it is restored
     *                      here, so a caller that vanished loses nothing
     */
    public record Options(Duration hookTimeout, NetNamespace netns, Duration settleTimeout) {
        public static final Duration DEFAULT_HOOK_TIMEOUT = Duration.ofSeconds(30);
        public static final Duration DEFAULT_SETTLE_TIMEOUT = Duration.ofSeconds(30);

        public Options {
            requirePositive(hookTimeout, "hook timeout");
            requirePositive(settleTimeout, "settle timeout");
        }

        public static Options defaults() {
            return new Options(DEFAULT_HOOK_TIMEOUT, null, DEFAULT_SETTLE_TIMEOUT);
        }

        public Options withHookTimeout(Duration timeout) {
            return new Options(timeout, netns, settleTimeout);
        }

        public Options inNetns(NetNamespace ns) {
            return new Options(hookTimeout, ns, settleTimeout);
        }

        public Options withSettleTimeout(Duration timeout) {
            return new Options(hookTimeout, netns, timeout);
        }

        private static void requirePositive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive: " + d);
        }
    }

    private final SSLServerSocket listener;
    private final SSLContext tls;
    private final String me;
    private final HostService host;
    private final Options options;
    private final Network network;
    private final KeptDumps keptDumps;
    private final Set<Connection> calls = ConcurrentHashMap.newKeySet();
    private final Set<SSLSocket> handshaking = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private AgentServer(SSLServerSocket listener, SSLContext tls, String me, HostService host, Options options,
                        Network network) {
        this.listener = listener;
        this.tls = tls;
        this.me = me;
        this.host = host;
        this.options = options;
        this.network = network;
        this.keptDumps = new KeptDumps(host, me, options.settleTimeout());
        this.acceptor = Thread.ofVirtual().name("agent " + me + " accept").unstarted(this::acceptLoop);
    }

    public static AgentServer start(InetSocketAddress listen, ClusterKeys keys, HostService host) throws IOException {
        return start(listen, keys, host, Options.defaults());
    }

    /**
     * Listens on {@code listen} (port 0: any free port, see {@link #address()}) as the host of {@code keys}.
     *
     * @throws IOException when the address cannot be bound
     */
    public static AgentServer start(InetSocketAddress listen, ClusterKeys keys, HostService host, Options options)
            throws IOException {
        SSLContext tls = keys.tlsContext();
        Network network = new Network(options.netns());
        SSLServerSocket listener;
        try {
            listener = (SSLServerSocket) network.listen(tls.getServerSocketFactory(), listen);
        } catch (IOException e) {
            throw new IOException("agent cannot listen on " + StateJson.format(listen) + ": " + e.getMessage(), e);
        }
        listener.setSSLParameters(ClusterKeys.configureServer(listener.getSSLParameters()));
        AgentServer server = new AgentServer(listener, tls, keys.hostName(), host, options, network);
        server.acceptor.start();
        WarmUp.startOnce(keys);
        LOG.info("agent {} listening on {}", server.me, StateJson.format(server.address()));
        return server;
    }

    /** Where it listens (with the port chosen when 0 was asked). */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /** Its name in the cluster (the CN of its certificate). */
    public String host() {
        return me;
    }

    private void acceptLoop() {
        while (!closed) {
            SSLSocket socket;
            try {
                socket = (SSLSocket) listener.accept();
                socket.setTcpNoDelay(true); // small request/answer messages: see AgentClient.open
            } catch (IOException e) {
                if (!closed) LOG.error("agent {} stopped accepting: {}", me, e.toString());
                return;
            }
            Thread.ofVirtual().name("agent " + me + " call").start(() -> serve(socket));
        }
    }

    private void serve(SSLSocket socket) {
        String from = StateJson.format((InetSocketAddress) socket.getRemoteSocketAddress());
        handshaking.add(socket);
        Connection caller;
        try {
            if (closed) throw new SocketException("agent closing");
            socket.setSoTimeout((int) HANDSHAKE_TIMEOUT.toMillis());
            socket.startHandshake();
            caller = new Connection(socket, ClusterKeys.peerHostName(socket.getSession()));
        } catch (IOException e) {
            if (!closed) LOG.warn("agent {} refused a caller at {}: {}", me, from, ClusterTlsFailures.whyRefused(e));
            closeQuietly(socket);
            return;
        } finally {
            handshaking.remove(socket);
        }
        calls.add(caller);
        try (caller) {
            if (closed) return;
            caller.send(new Message.Hello(me, Message.VERSION));
            caller.setReadTimeout(IDLE_LIMIT);
            Message first = caller.readMessage();
            caller.setReadTimeout(Duration.ZERO);
            if (!(first instanceof Message.Request request) || request.call() == null) {
                LOG.warn("agent {}: {} sent {} instead of a call; dropped", me, caller.describePeer(),
                        first.getClass().getSimpleName());
                return;
            }
            Message.Call call = request.call();
            LOG.info("agent {}: {} called {}", me, caller.describePeer(), call.describe());
            new AgentCall(caller, me, host, options.hookTimeout(), request.actsAt(), keptDumps, tls, network)
                    .run(call);
        } catch (IOException e) {
            if (!closed) LOG.warn("agent {}: connection from {} ended before its call: {}", me, caller.describePeer(),
                    e.getMessage());
        } finally {
            calls.remove(caller);
        }
    }

    /**
     * Stops listening and drops every connection; calls in flight fail and their operations roll back. Dumps kept
     * for callers (CHECKPOINT) are restored here before it returns.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        closeQuietly(listener);
        handshaking.forEach(AgentServer::closeQuietly);
        calls.forEach(Connection::close);
        try {
            acceptor.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        keptDumps.close();
        LOG.info("agent {} stopped", me);
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing to stop; nothing else to do
        }
    }

    @Override
    public String toString() {
        return "agent " + me + " on " + StateJson.format(address());
    }
}
