package dev.baton.gateway.admin;

import dev.baton.socket.StateJson;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's admin API: HTTP/1.1 over TLS 1.3 with client certificates required, JSON answers.
 * <pre>
 *   caller ──TLS──▶ SslHandler ─▶ HttpServerCodec ─▶ aggregator ─▶ AdminConnection ──▶ handler thread
 *                   (cluster CA,                     (≤ 1 MiB)     route, one request     runs the route's
 *                    client cert required)                         at a time             AdminHandler
 *   caller ◀───────────────────────── JSON / text answer ◀────────────────────────────────────┘
 * </pre>
 * A caller whose certificate is not issued by the cluster CA (or who has none) fails the handshake and never
 * gets an HTTP answer; the server logs one line naming it. Handlers run on virtual threads, never on Netty's event
 * loop, so a handler that blocks delays only its own caller. A connection idle for {@link #IDLE_LIMIT} is closed.
 *
 * <p>It listens where it is told; {@link #DEFAULT_LISTEN} is loopback, so serving other hosts takes an address
 * given on purpose (the gateway's config).
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    /** The default address: loopback only. */
    public static final InetSocketAddress DEFAULT_LISTEN = new InetSocketAddress("127.0.0.1", 7440);
    /** An idle connection (no request in flight, nothing read or written) is closed after this. */
    static final Duration IDLE_LIMIT = Duration.ofMinutes(2);
    /** The largest request body taken. */
    static final int MAX_BODY_BYTES = 1 << 20;

    private final EventLoopGroup loops;
    private final ExecutorService handlers;
    private final ChannelGroup connections;
    private final Channel listener;
    private volatile boolean closed;

    private AdminServer(EventLoopGroup loops, ExecutorService handlers, ChannelGroup connections, Channel listener) {
        this.loops = loops;
        this.handlers = handlers;
        this.connections = connections;
        this.listener = listener;
    }

    /**
     * Listens on {@code listen} (port 0: any free port, see {@link #address()}) and answers with {@code routes}
     * (a copy taken now).
     *
     * @param tls the cluster's TLS context ({@code ClusterKeys.tlsContext()}): this host's identity, trusting only
     *            the cluster CA
     * @throws IOException when the address cannot be bound; the message names it
     */
    public static AdminServer start(InetSocketAddress listen, SSLContext tls, AdminRoutes routes) throws IOException {
        SslContext ssl = new JdkSslContext(tls, false, null, IdentityCipherSuiteFilter.INSTANCE, null,
                ClientAuth.REQUIRE, new String[] {"TLSv1.3"}, false);
        AdminRoutes table = routes.snapshot();
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("baton-admin", true),
                NioIoHandler.newFactory());
        ExecutorService handlers = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("baton-admin-handler-", 0).factory());
        ChannelGroup connections = new DefaultChannelGroup("admin connections", GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc()))
                                .addLast("idle", new IdleStateHandler(0, 0, IDLE_LIMIT.toSeconds(), TimeUnit.SECONDS))
                                .addLast("http", new HttpServerCodec())
                                .addLast("aggregate", new BodyLimit(MAX_BODY_BYTES))
                                .addLast("admin", new AdminConnection(table, handlers));
                    }
                });
        ChannelFuture bound = bootstrap.bind(listen).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            handlers.shutdownNow();
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
            Throwable cause = bound.cause();
            String why = cause instanceof BindException && String.valueOf(cause.getMessage()).contains("in use")
                    ? "the address is already in use (another gateway? give another admin address)"
                    : String.valueOf(cause.getMessage());
            throw new IOException("admin API cannot listen on " + StateJson.format(listen) + ": " + why, cause);
        }
        AdminServer server = new AdminServer(loops, handlers, connections, bound.channel());
        LOG.info("admin API listening on {}", StateJson.format(server.address()));
        return server;
    }

    /** Where it listens (with the port chosen when 0 was asked). */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** Stops listening and closes every connection; handlers still running finish but their answers are dropped. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        listener.close().awaitUninterruptibly();
        connections.close().awaitUninterruptibly();
        handlers.shutdownNow();
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        LOG.info("admin API stopped");
    }

    @Override
    public String toString() {
        return "admin API on " + StateJson.format(address());
    }
}
