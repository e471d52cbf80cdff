package dev.baton.gateway.proxy;

import dev.baton.gateway.GatewayConfig;
import dev.baton.gateway.GatewayStartException;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.util.NettyRuntime;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The data path behind {@link dev.baton.gateway.Gateway}: one epoll event loop per CPU the process may use, a
 * {@link Flow} per peer connection. Use it through the {@code Gateway} facade; it is public only so the facade
 * (another package) can start it.
 *
 * <p>Thread layout: each service has one listener per event loop on its address (SO_REUSEPORT; the kernel spreads
 * new connections over them), and a connection is accepted, connected upstream and served to its end on the loop
 * whose listener took it. No acceptor thread hands connections to other loops: that handoff woke another thread
 * per connection (with it and two loops per CPU, the connection-rate benchmark saw 2.9 thread switches per
 * connection in the gateway; without, 1.6).
 *
 * <p>Sockets belong to the network namespace of the thread that creates them: the listeners are made on the
 * thread that calls {@link #start}, and every event loop thread (which makes the upstream sockets) is started
 * from that thread too, so the whole gateway lives in the caller's network namespace.
 */
public final class Proxy implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Proxy.class);

    private final GatewayConfig config;
    private final WorkloadHosts placements;
    private final EventLoopGroup group;
    private final List<Service> services;
    private volatile boolean closed;

    private Proxy(GatewayConfig config, WorkloadHosts placements, EventLoopGroup group, List<Service> services) {
        this.config = config;
        this.placements = placements;
        this.group = group;
        this.services = services;
    }

    /**
     * Binds every service's listen address and starts serving. Nothing is left bound or running on failure.
     *
     * @throws GatewayStartException a listen address is taken or not on this host (the message names the service
     *                               and the address), the state file is unreadable, or epoll is unavailable
     */
    public static Proxy start(GatewayConfig config, MeterRegistry registry) {
        try {
            Epoll.ensureAvailability();
        } catch (Throwable e) {
            throw new GatewayStartException("the native epoll transport is not available: " + e.getMessage(), e);
        }
        WorkloadHosts placements = WorkloadHosts.load(config);
        AtomicLong flowIds = new AtomicLong();
        List<Service> services = new ArrayList<>();
        for (GatewayConfig.ServiceConfig s : config.services()) {
            services.add(new Service(s, config, placements, flowIds::incrementAndGet, registry));
        }
        // One loop per CPU (Netty's default is two): more loops than CPUs only add wake-ups and thread switches.
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(NettyRuntime.availableProcessors(),
                new DefaultThreadFactory("baton-gateway"), EpollIoHandler.newFactory());
        Proxy proxy = new Proxy(config, placements, group, List.copyOf(services));
        try {
            // Threads inherit their creator's network namespace: start them all here, from the caller's.
            for (EventExecutor loop : group) loop.submit(() -> { }).syncUninterruptibly();
            for (Service s : services) proxy.bind(s);
        } catch (RuntimeException e) {
            proxy.close();
            throw e;
        }
        return proxy;
    }

    private void bind(Service service) {
        InetSocketAddress listen;
        try {
            listen = Sockets.claim(service.listen());
        } catch (IOException e) {
            throw cannotListen(service, service.listen(), e);
        }
        for (EventExecutor executor : group) {
            EventLoop loop = (EventLoop) executor;
            ChannelFuture bound = new ServerBootstrap().group(loop, loop)
                    .channelFactory((ChannelFactory<EpollServerSocketChannel>) () -> Sockets.listener(listen.getAddress()))
                    .childHandler(service.peerInitializer())
                    .bind(listen).awaitUninterruptibly();
            if (!bound.isSuccess()) {
                bound.channel().close();
                throw cannotListen(service, listen, bound.cause());
            }
            service.listening(bound.channel());
        }
        LOG.info("service {} listens on {} ({} listeners), workload {} on {} at {}", service.name(), service.listen(),
                service.listeners().size(), service.workload(), service.host(), service.target());
    }

    private static GatewayStartException cannotListen(Service service, InetSocketAddress listen, Throwable cause) {
        return new GatewayStartException("service " + service.name() + " cannot listen on "
                + listen.getAddress().getHostAddress() + ":" + listen.getPort() + ": " + cause.getMessage(), cause);
    }

    public GatewayConfig config() {
        return config;
    }

    public List<Service> services() {
        return services;
    }

    /** Every flow not closed yet, by id. */
    public List<Flow> flows() {
        List<Flow> all = new ArrayList<>();
        for (Service s : services) all.addAll(s.flows());
        all.sort(Comparator.comparingLong(Flow::id));
        return all;
    }

    public Path stateFile() {
        return placements.file();
    }

    /**
     * Stops accepting, ends every flow (pending bytes get the drain timeout to reach their side; held bytes of a
     * frozen flow are dropped, and logged), closes detached upstreams, and releases the event loops. Idempotent.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Service s : services) {
            for (Channel listener : s.listeners()) listener.close().awaitUninterruptibly();
        }
        List<CompletableFuture<Void>> ending = new ArrayList<>();
        for (Service s : services) {
            for (Flow f : s.flowsToShutDown()) {
                f.shutdown();
                ending.add(f.closedFuture());
            }
        }
        long drainMs = config.timeouts().drain().toMillis();
        try {
            CompletableFuture.allOf(ending.toArray(CompletableFuture[]::new))
                    .get(drainMs + 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("{} flows did not close within the drain timeout ({} ms); closing them with the event loops",
                    ending.stream().filter(f -> !f.isDone()).count(), drainMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("closing flows", e);
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly();
        for (Service s : services) s.meters().remove();
    }
}
