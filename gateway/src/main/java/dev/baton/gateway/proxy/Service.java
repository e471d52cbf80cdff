package dev.baton.gateway.proxy;

import dev.baton.gateway.GatewayConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.micrometer.core.instrument.MeterRegistry;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * One listen address and the workload behind it: peers that connect to {@link #listen()} are connected on to
 * {@link #target()}, the workload's port on the host it runs on now. For a migration, {@link #pauseNewFlows()}
 * makes new peers wait (accepted, not read, not connected) and {@link #resumeNewFlows(String)} sends them, and
 * every later peer, to the workload's new host. Thread-safe.
 */
public final class Service {
    private final GatewayConfig.ServiceConfig config;
    private final GatewayConfig gateway;
    private final WorkloadHosts placements;
    private final LongSupplier flowIds;
    private final ServiceMeters meters;
    private final Set<Flow> flows = ConcurrentHashMap.newKeySet();
    /** Flows that hold a detached upstream channel (possibly closed flows): closed with the gateway. */
    private final Set<Flow> detached = ConcurrentHashMap.newKeySet();
    private final List<Flow> waiting = new ArrayList<>(); // guarded by this
    private volatile boolean paused;
    /** One per event loop, all on the listen address; added while the proxy starts, before any peer. */
    private final List<Channel> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    Service(GatewayConfig.ServiceConfig config, GatewayConfig gateway, WorkloadHosts placements, LongSupplier flowIds,
            MeterRegistry registry) {
        this.config = config;
        this.gateway = gateway;
        this.placements = placements;
        this.flowIds = flowIds;
        this.meters = new ServiceMeters(registry, this);
    }

    public String name() {
        return config.name();
    }

    /** The bound listen address (with the port the kernel picked when the config says port 0). */
    public InetSocketAddress listen() {
        return listeners.isEmpty() ? config.listen() : (InetSocketAddress) listeners.getFirst().localAddress();
    }

    public String workload() {
        return config.workload();
    }

    /** The name of the host the workload runs on now (the state file's, or the config's). */
    public String host() {
        return placements.hostOf(config.workload());
    }

    /** Where new flows connect: the workload's port on its current host. */
    public InetSocketAddress target() {
        return new InetSocketAddress(gateway.hosts().get(host()).address(), config.port());
    }

    /** This service's flows that are not closed yet, oldest first. */
    public List<Flow> flows() {
        List<Flow> list = new ArrayList<>(flows);
        list.sort(Comparator.comparingLong(Flow::id));
        return list;
    }

    /** Whether new peers wait ({@link #pauseNewFlows()} called, {@link #resumeNewFlows} not yet). */
    public boolean newFlowsPaused() {
        return paused;
    }

    /**
     * From now on, peers that connect are accepted and wait: not read, no upstream connect yet; they are flows in
     * state WAITING. Idempotent.
     */
    public synchronized void pauseNewFlows() {
        paused = true;
    }

    /**
     * Makes {@code host} the workload's current host — recorded in the state file first, atomically — then
     * connects the waiting flows, and every later one, to the workload's port there. Idempotent. When the state
     * file cannot be written nothing changes: the flows keep waiting.
     *
     * @throws IllegalArgumentException when the config names no such host
     * @throws java.io.UncheckedIOException when the state file cannot be written
     */
    public void resumeNewFlows(String host) {
        if (!gateway.hosts().containsKey(host)) {
            throw new IllegalArgumentException("service " + name() + ": unknown host \"" + host + "\" (hosts: "
                    + String.join(", ", gateway.hosts().keySet()) + ")");
        }
        List<Flow> toConnect;
        synchronized (this) {
            placements.move(config.workload(), host);
            paused = false;
            toConnect = List.copyOf(waiting);
            waiting.clear();
        }
        InetSocketAddress target = target();
        for (Flow f : toConnect) f.resume(target);
    }

    // ---- for the proxy and the flows ----

    ChannelInitializer<EpollSocketChannel> peerInitializer() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(EpollSocketChannel ch) {
                Sockets.peer(ch);
                Flow flow = new Flow(flowIds.getAsLong(), Service.this, ch);
                ch.pipeline().addLast(new IdleTimeout(flow, gateway.timeouts().idle()), new PeerHandler(flow));
            }
        };
    }

    void listening(Channel listener) {
        listeners.add(listener);
    }

    List<Channel> listeners() {
        return listeners;
    }

    /** A new peer: returns where to connect it, or null when it must wait. */
    synchronized InetSocketAddress admit(Flow flow) {
        meters.accepted();
        flows.add(flow);
        if (paused) {
            waiting.add(flow);
            return null;
        }
        return target();
    }

    synchronized void forgetWaiting(Flow flow) {
        waiting.remove(flow);
    }

    void flowEnded(Flow flow) {
        flows.remove(flow);
    }

    void detachedChanged(Flow flow, boolean holdsOne) {
        if (holdsOne) detached.add(flow);
        else detached.remove(flow);
    }

    /** Every flow the gateway must end on close: open ones and those still holding a detached channel. */
    List<Flow> flowsToShutDown() {
        List<Flow> all = new ArrayList<>(flows);
        for (Flow f : detached) if (!flows.contains(f)) all.add(f);
        return all;
    }

    /**
     * A new upstream channel for {@code handler}, registered on {@code loop} (the flow's: called from there, so
     * the registration is immediate) and connecting to {@code target}. What a Bootstrap would do, without its
     * per-connection copies of options, attributes and resolver lookups.
     */
    ChannelFuture connect(EventLoop loop, InetSocketAddress target, UpstreamHandler handler) {
        EpollSocketChannel ch = Sockets.upstream(new EpollSocketChannel(Sockets.familyOf(target.getAddress())),
                gateway.timeouts().connect());
        ch.pipeline().addLast(handler);
        ChannelPromise connected = ch.newPromise();
        loop.register(ch).addListener(r -> {
            if (r.isSuccess()) {
                ch.connect(target, connected);
            } else {
                ch.unsafe().closeForcibly();
                connected.setFailure(r.cause());
            }
        });
        return connected;
    }

    GatewayConfig.Timeouts timeouts() {
        return gateway.timeouts();
    }

    ServiceMeters meters() {
        return meters;
    }

    int flowCount() {
        return flows.size();
    }

    int waitingCount() {
        return count(Flow.State.WAITING);
    }

    int count(Flow.State state) {
        int n = 0;
        for (Flow f : flows) if (f.state() == state) n++;
        return n;
    }

    @Override
    public String toString() {
        return "Service[" + name() + " " + listen() + " -> " + workload() + "@" + host() + " " + target() + "]";
    }
}
