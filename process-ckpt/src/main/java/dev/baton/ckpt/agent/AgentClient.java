package dev.baton.ckpt.agent;

import dev.baton.ckpt.keys.ClusterConnectionException.Reason;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.workload.WorkloadStatus;
import dev.baton.netns.NetNamespace;
import dev.baton.socket.StateJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.baton.ckpt.agent.AgentConnectionException.at;

/**
 * A caller of one agent, over mutually authenticated TLS 1.3 with this host's cluster identity. Each call runs
 * on a connection of its own; {@link #connect} opens and checks the first one (both certificates, the agent's
 * greeting) and keeps it for the first call, so that call starts without a handshake.
 *
 * <p>While a call runs, {@link Hooks#reached(String, String, long)} is called for every point the operation
 * reaches, on the thread that reads the agent's messages; the operation waits until it returns (at most the
 * agent's hook timeout) and rolls back if it throws. Progress arrives the same way and needs no answer.
 *
 * <p>Exceptions: {@link AgentException} when the agent carried out the call and it failed there (its message and
 * host); {@link AgentConnectionException} when the agent could not be reached or trusted, or the connection
 * broke; other {@link IOException}s come from the caller's own bundle streams.
 */
public final class AgentClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentClient.class);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration WRITE_FAILURE_GRACE = Duration.ofSeconds(2);
    /** A kept connection older than this is not used: the agent drops connections idle for {@link AgentServer#IDLE_LIMIT}. */
    private static final Duration KEEP_LIMIT = AgentServer.IDLE_LIMIT.dividedBy(2);

    private final InetSocketAddress agent;
    private final SSLContext tls;
    private final Network network;
    private final String agentHost;
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private Connection kept;
    private long keptSince;
    /** A connection opened ahead for the next call ({@link #openAhead}); never fails (null if it could not open). */
    private CompletableFuture<Opened> ahead;
    private volatile boolean closed;

    private AgentClient(InetSocketAddress agent, SSLContext tls, Network network, Connection first) {
        this.agent = agent;
        this.tls = tls;
        this.network = network;
        this.agentHost = first.peer();
        this.kept = first;
        this.keptSince = System.nanoTime();
        open.add(first);
    }

    /** Connects to the agent at {@code agent} from this process's network namespace. */
    public static AgentClient connect(InetSocketAddress agent, ClusterKeys keys) throws AgentConnectionException {
        return connect(agent, keys.tlsContext(), Network.OWN);
    }

    /** Connects from inside network namespace {@code from} (a test host, a host's namespace on this machine). */
    public static AgentClient connect(InetSocketAddress agent, ClusterKeys keys, NetNamespace from)
            throws AgentConnectionException {
        return connect(agent, keys.tlsContext(), new Network(from));
    }

    static AgentClient connect(InetSocketAddress agent, SSLContext tls, Network network)
            throws AgentConnectionException {
        return new AgentClient(agent, tls, network, open(agent, tls, network));
    }

    /** The agent's cluster host name (the CN of its certificate). */
    public String agentHost() {
        return agentHost;
    }

    public InetSocketAddress address() {
        return agent;
    }

    /** The agent's host as it sees itself; {@link HostHealth#host()} is the agent's certificate CN. */
    public HostHealth health() throws IOException, AgentException {
        return ((Message.HealthResult) call(new Message.Health(), null, null, Hooks.NONE)).health();
    }

    /** The workloads recorded on the agent's host. */
    public List<WorkloadStatus> workloads() throws IOException, AgentException {
        return ((Message.WorkloadsResult) call(new Message.Workloads(), null, null, Hooks.NONE)).workloads();
    }

    /**
     * Dumps a workload on the agent's host; its sealed bundle is written to {@code bundle} as it arrives. On any
     * failure the workload keeps running there, and {@code bundle} holds a partial stream to discard.
     */
    public DumpReport dump(DumpRequest request, OutputStream bundle, Hooks hooks) throws IOException, AgentException {
        return ((Message.DumpResult) call(new Message.Dump(request), null, bundle, hooks)).report();
    }

    /** Restores a sealed bundle, read from {@code bundle} and streamed to the agent, on the agent's host. */
    public RestoreReport restore(RestoreRequest request, InputStream bundle, Hooks hooks)
            throws IOException, AgentException {
        return restoreFrom(request, bundle::transferTo, hooks);
    }

    /**
     * Dumps a workload on the agent's host and restores it on the agent at {@code target}: the agent connects to
     * the target with its own identity and pipes the bundle straight into the target's RESTORE. Hooks and
     * progress of both hosts reach {@code hooks}, each tagged with its host. A failure on either side rolls back
     * there and ends the call with an {@link AgentException} naming the host it happened on.
     */
    public ShipReport ship(DumpRequest dump, InetSocketAddress target, RestoreRequest restore, Hooks hooks)
            throws IOException, AgentException {
        return ((Message.ShipResult) call(new Message.Ship(dump, target, restore), null, null, hooks)).report();
    }

    /**
     * Dumps a workload on the agent's host and keeps its images there, streaming nothing: the first step of a
     * migration whose caller acts between the dump and the restore (the gateway trims send queues and re-aims its
     * sockets). The report names the dump ({@link DumpReport#dumpId()}) and lists its TCP connections with their
     * sequence numbers. Settle it within the agent's settle timeout with {@link #shipKept}, {@link #rollback} or
     * {@link #commit}; otherwise the agent restores it there by itself. If the dump fails, the workload keeps
     * running.
     */
    public DumpReport checkpoint(DumpRequest request, Hooks hooks) throws IOException, AgentException {
        return checkpoint(request, null, hooks);
    }

    /**
     * {@link #checkpoint(DumpRequest, Hooks)}, the agent connecting meanwhile to the agent at {@code shipTo}, where
     * a {@link #shipKept} of this dump will go: that ship then starts without a handshake (a migration ships while
     * the workload's peers wait). A ship elsewhere, or a failed connection, connects at ship time as usual.
     */
    public DumpReport checkpoint(DumpRequest request, InetSocketAddress shipTo, Hooks hooks)
            throws IOException, AgentException {
        return ((Message.DumpResult) call(new Message.Checkpoint(request, shipTo), null, null, hooks)).report();
    }

    /**
     * Ships a dump kept by {@link #checkpoint} to the agent at {@code target}, as {@link #ship} does: first the
     * send queue of each connection in {@code sync} is trimmed to what its far end has, then the images are sealed
     * straight into the target's RESTORE. On success the dump is committed on the source. If an entry of
     * {@code sync} names no connection of the dump, the call fails and the dump stays kept, unchanged. Any other
     * failure restores the workload on the source; right before that, {@code hooks} hears
     * {@link Hooks#ROLLBACK} from the source, so the caller can re-aim its sockets there first.
     */
    public ShipReport shipKept(String dumpId, List<SendQueueSync> sync, InetSocketAddress target,
                               RestoreRequest restore, Hooks hooks) throws IOException, AgentException {
        return ((Message.ShipResult) call(new Message.ShipKept(dumpId, sync, target, restore), null, null, hooks))
                .report();
    }

    /**
     * Restores a dump kept by {@link #checkpoint} on the agent's host, as it was. {@code hooks} hears the restore's
     * points but cannot stop it.
     */
    public RestoreReport rollback(String dumpId, Hooks hooks) throws IOException, AgentException {
        Message.Settle settle = new Message.Settle(dumpId, Message.Settlement.ROLLBACK);
        return ((Message.RestoreResult) call(settle, null, null, hooks)).report();
    }

    /** Drops a dump kept by {@link #checkpoint} (its images and CRIU's lock): the workload runs elsewhere now. */
    public void commit(String dumpId) throws IOException, AgentException {
        call(new Message.Settle(dumpId, Message.Settlement.COMMIT), null, null, Hooks.NONE);
    }

    /**
     * Opens a connection for a later call now, in the background, so that call does not wait for the TCP and TLS
     * handshakes: a migration's second call (its ship) happens while the workload's peers wait. The first call
     * that starts once it is open takes it. Does nothing when one is already open or being opened. If it cannot
     * connect, that call connects itself and reports why.
     */
    public void openAhead() {
        synchronized (this) {
            if (closed || ahead != null) return;
            CompletableFuture<Opened> f = new CompletableFuture<>();
            ahead = f;
            // A platform thread: opening may enter another network namespace, which is per OS thread.
            Thread.ofPlatform().daemon().name("agent-client connect-ahead " + at(agent)).start(() -> {
                try {
                    Connection c = open(agent, tls, network);
                    open.add(c);
                    f.complete(new Opened(c, System.nanoTime()));
                } catch (AgentConnectionException e) {
                    LOG.debug("connecting ahead to {} failed: {}", at(agent), e.getMessage());
                    f.complete(null);
                }
            });
        }
    }

    /** Writes a bundle into the stream it is given (the data of a RESTORE). */
    @FunctionalInterface
    interface Upload {
        void writeTo(OutputStream out) throws IOException;
    }

    /** A RESTORE whose bundle {@code upload} produces in the calling thread (a SHIP's dump writes it). */
    RestoreReport restoreFrom(RestoreRequest request, Upload upload, Hooks hooks) throws IOException, AgentException {
        return ((Message.RestoreResult) call(new Message.Restore(request), upload, null, hooks)).report();
    }

    /** Closes the kept connection and those of calls in flight (which fail). */
    @Override
    public void close() {
        CompletableFuture<Opened> pending;
        synchronized (this) {
            closed = true;
            pending = ahead;
            ahead = null;
        }
        if (pending != null) pending.thenAccept(o -> { if (o != null) o.connection().close(); });
        open.forEach(Connection::close);
        open.clear();
    }

    private Message.Outcome call(Message.Call request, Upload upload, OutputStream download, Hooks hooks)
            throws IOException, AgentException {
        Connection c = take();
        try {
            Exchange exchange = new Exchange(c, request.describe(), hooks);
            if (download != null) c.expectData();
            c.startReader("agent-client " + at(agent), exchange);
            c.send(new Message.Request(request, hooks.actsAt()));
            IOException local = null;
            try {
                if (upload != null) {
                    upload.writeTo(c.dataOut());
                    c.dataOut().end();
                }
                if (download != null) c.dataIn().transferTo(download);
            } catch (IOException e) {
                local = e;
            }
            // A stream that failed because the call ended or the connection broke: the outcome says why. One that
            // failed on its own (the caller's stream, a SHIP's dump): stop the agent, report ours.
            if (local != null && !exchange.outcome.isDone()) {
                if (!brokeTheConnection(local)) throw local;
                exchange.awaitReader(c, local);
            }
            Message.Outcome outcome = exchange.await();
            if (outcome instanceof Message.Failure f) {
                AgentException e = new AgentException(f.host(), f.message());
                exchange.hookErrors.forEach(e::addSuppressed);
                if (local != null) e.addSuppressed(local);
                throw e;
            }
            return outcome;
        } catch (IOException e) {
            if (e instanceof AgentConnectionException || !closed) throw e;
            throw new AgentConnectionException(Reason.LOST, agent, "client of " + at(agent) + " closed during "
                    + request.describe(), e);
        } finally {
            c.close();
            open.remove(c);
        }
    }

    private static boolean brokeTheConnection(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof FrameWriter.WriteFailedException) return true;
        }
        return false;
    }

    /**
     * The connection for a call: the kept one, else one opened ahead if it is ready (a call never waits for one
     * still opening: that one stays for a later call), else a new one.
     */
    private Connection take() throws AgentConnectionException {
        synchronized (this) {
            if (closed) throw new IllegalStateException("client of " + at(agent) + " is closed");
            Connection c = kept;
            kept = null;
            if (c != null && System.nanoTime() - keptSince < KEEP_LIMIT.toNanos()) return c;
            if (c != null) {
                c.close();
                open.remove(c);
            }
            if (ahead != null && ahead.isDone()) {
                Opened opened = ahead.join();
                ahead = null;
                if (opened != null && System.nanoTime() - opened.at() < KEEP_LIMIT.toNanos()) {
                    return opened.connection();
                }
                if (opened != null) {
                    opened.connection().close();
                    open.remove(opened.connection());
                }
            }
        }
        Connection c = open(agent, tls, network);
        open.add(c);
        if (closed) { // closed while we connected
            c.close();
            throw new IllegalStateException("client of " + at(agent) + " is closed");
        }
        return c;
    }

    /** A connection opened ahead, and when ({@link System#nanoTime()}). */
    private record Opened(Connection connection, long at) {
    }

    /** A new connection: TCP, TLS handshake, the agent's greeting. */
    private static Connection open(InetSocketAddress agent, SSLContext tls, Network network)
            throws AgentConnectionException {
        Socket plain;
        try {
            plain = network.connect(agent, CONNECT_TIMEOUT);
        } catch (IOException e) {
            throw AgentConnectionException.connecting(agent, e);
        }
        SSLSocket socket = null;
        try {
            // The protocol is request/answer with small messages (handshake, hooks, window credits): without
            // TCP_NODELAY each can wait for the peer's delayed ACK (40 ms), which put ~100 ms on every connect and
            // ~25 ms on every 4 MiB window of a ship.
            plain.setTcpNoDelay(true);
            socket = (SSLSocket) tls.getSocketFactory().createSocket(plain, agent.getHostString(), agent.getPort(), true);
            socket.setUseClientMode(true);
            socket.setSoTimeout((int) CONNECT_TIMEOUT.toMillis());
            socket.startHandshake();
            Connection c = new Connection(socket, ClusterKeys.peerHostName(socket.getSession()));
            Message first = c.readMessage();
            if (!(first instanceof Message.Hello hello)) {
                throw new ProtocolException("expected a greeting, got " + first.getClass().getSimpleName());
            }
            if (hello.version() != Message.VERSION) {
                throw new AgentConnectionException(Reason.PROTOCOL, agent, at(agent) + " speaks agent protocol version "
                        + hello.version() + ", this caller " + Message.VERSION, null);
            }
            socket.setSoTimeout(0);
            return c;
        } catch (ProtocolException e) {
            close(socket, plain);
            throw new AgentConnectionException(Reason.PROTOCOL, agent, at(agent) + " does not speak the agent "
                    + "protocol: " + e.getMessage(), e);
        } catch (IOException e) {
            close(socket, plain);
            throw AgentConnectionException.connecting(agent, e);
        }
    }

    private static void close(SSLSocket socket, Socket plain) {
        try {
            if (socket != null) socket.close();
            else plain.close();
        } catch (IOException ignored) {
            // nothing more to do with a connection that failed
        }
    }

    /** The caller's side of one call: answers hooks, passes progress, keeps the outcome. */
    private final class Exchange implements Connection.Handler {
        private final Connection c;
        private final String what;
        private final Hooks hooks;
        final CompletableFuture<Message.Outcome> outcome = new CompletableFuture<>();
        final List<Exception> hookErrors = new CopyOnWriteArrayList<>();

        Exchange(Connection c, String what, Hooks hooks) {
            this.c = c;
            this.what = what;
            this.hooks = hooks;
        }

        @Override
        public void message(Message message) throws IOException {
            switch (message) {
                case Message.Hook h -> answer(h);
                case Message.Passed p -> {
                    try {
                        hooks.reached(p.host(), p.point(), p.pid());
                    } catch (Exception e) {
                        LOG.warn("the caller's hook failed at {} on {}, where it does not act; the operation went on",
                                p.point(), p.host(), e);
                    }
                }
                case Message.Progress p -> {
                    try {
                        hooks.progress(p.host(), p.step(), p.done(), p.total());
                    } catch (RuntimeException e) {
                        LOG.warn("the caller's progress hook failed", e);
                    }
                }
                case Message.Outcome o -> {
                    outcome.complete(o);
                    IOException ended = new IOException(o instanceof Message.Failure f
                            ? "the call failed on " + f.host() + ": " + f.message() : "the agent ended the call");
                    c.dataIn().fail(ended);
                    c.dataOut().fail(ended);
                }
                default -> throw new ProtocolException(at(agent) + " sent " + message.getClass().getSimpleName()
                        + " during a call");
            }
        }

        private void answer(Message.Hook h) throws IOException {
            try {
                hooks.reached(h.host(), h.point(), h.pid());
            } catch (Exception e) {
                hookErrors.add(e);
                String reason = e.getMessage() == null || e.getMessage().isBlank() ? e.toString() : e.getMessage();
                c.send(new Message.Abort(h.id(), reason));
                return;
            }
            c.send(new Message.Ack(h.id()));
        }

        @Override
        public void lost(IOException cause) {
            outcome.completeExceptionally(new AgentConnectionException(Reason.LOST, agent, "lost the connection to "
                    + "agent " + agentHost + " at " + StateJson.format(agent) + " during " + what
                    + ": " + cause.getMessage(), cause));
        }

        /**
         * A write broke: the reader sees the same and says why (or an outcome was already on its way). Gives it a
         * moment, then closes the connection so it ends either way.
         */
        void awaitReader(Connection c, IOException writeFailure) {
            try {
                outcome.get(WRITE_FAILURE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                lost(writeFailure);
            } catch (ExecutionException e) {
                // the reader ended: the outcome holds why
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                lost(writeFailure);
            }
            c.close();
        }

        Message.Outcome await() throws AgentConnectionException {
            try {
                return outcome.get();
            } catch (ExecutionException e) {
                throw (AgentConnectionException) e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                c.close();
                throw new AgentConnectionException(Reason.LOST, agent, "interrupted during " + what, e);
            }
        }
    }
}
