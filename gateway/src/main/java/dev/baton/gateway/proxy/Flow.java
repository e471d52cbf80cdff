package dev.baton.gateway.proxy;

import dev.baton.socket.TcpSocket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DuplexChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * One peer connection and the gateway's connection to the workload for it, both on one event loop:
 * <pre>
 *            peer channel                       upstream channel
 *   peer ──▶ [PeerHandler] ── write ──────────▶ [UpstreamHandler] ──▶ workload on host A
 *   peer ◀── [PeerHandler] ◀────────── write ── [UpstreamHandler] ◀── workload on host A
 *            [IdleTimeout]
 *
 *   freeze()          peer ─╳ (autoRead off; bytes read are held)        upstream ──▶ peer keeps flowing
 *   detachUpstream()  bytes Netty had not written to A go to the front of the held bytes; the upstream channel
 *                     leaves epoll (open, untouched) and its fd goes to the caller, who captures the socket
 *   closeDetachedUpstream()   the old channel closes; nothing reacts (its socket is in repair mode: silent)
 *   adoptUpstream(fd) a socket rebuilt toward host B becomes the upstream channel; B ──▶ peer flows at once
 *   thaw()            held bytes, then the peer's FIN if it came, go to B; the peer is read again
 * </pre>
 * Every state change happens on the flow's event loop: the handlers call in from there, and the public
 * operations run there and complete their future there. Getters may be called from any thread.
 *
 * <p>Backpressure: a side that is not writable stops reading the other side (autoRead off) until its
 * writability comes back, so a flow holds at most a write buffer's high water mark plus one read per direction.
 * Half-close: an end of stream from one side is passed on as {@code shutdownOutput()} on the other once the
 * bytes before it are written; the flow ends when both directions have ended.
 *
 * <p>No splice ({@code EpollSocketChannel.spliceTo}): spliced bytes sit in a kernel pipe between the two sockets,
 * where neither the freeze (which must hold them, in order) nor a TCP_REPAIR capture of either socket can see
 * them; and a read that happens despite autoRead off (Netty reads to the end on EPOLLRDHUP) would move bytes
 * upstream while frozen. Bytes pass through user space, where the freeze can hold them.
 */
public final class Flow {
    private static final Logger LOG = LoggerFactory.getLogger(Flow.class);

    /** Where a flow is in its life. */
    public enum State {
        /** Accepted while its service's new flows are paused: not read, no upstream yet. */
        WAITING,
        /** Connecting to the workload; the peer is not read yet. */
        CONNECTING,
        /** Bytes flow both ways. */
        OPEN,
        /** The peer is not read and nothing is written upstream; upstream to peer still flows. */
        FROZEN,
        /** Closing: pending bytes drain (bounded by the drain timeout), then both sockets close. */
        CLOSING,
        /** Both sockets are closed. */
        CLOSED
    }

    private final long id;
    private final Service service;
    private final Channel peer;
    private final EventLoop loop;
    private final InetSocketAddress peerAddress;
    private final Instant opened = Instant.now();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    // Written on the event loop only; volatile so that getters see them from other threads.
    private volatile State state = State.WAITING;
    private volatile boolean peerEnded;
    private volatile boolean upstreamEnded;
    private volatile long bytesUp;
    private volatile long bytesDown;
    private volatile long lastActivityNanos = System.nanoTime();
    private volatile InetSocketAddress upstreamLocal;
    private volatile InetSocketAddress upstreamRemote;
    private volatile Channel upstream;

    // Event loop only.
    private final HeldBytes held = new HeldBytes();
    /** Detached from epoll, still open, owned by this flow until closeDetachedUpstream (or a rollback thaw). */
    private Channel detached;
    private boolean upEndStarted, upFinSent, downEndStarted, downFinSent;
    private CompletableFuture<Void> freezeOnConnect;
    private String endReason;
    private Throwable lastFailure;
    private int channelsToClose;

    Flow(long id, Service service, Channel peer) {
        this.id = id;
        this.service = service;
        this.peer = peer;
        this.loop = peer.eventLoop();
        this.peerAddress = (InetSocketAddress) peer.remoteAddress();
    }

    // ---- what the flow is ----

    public long id() {
        return id;
    }

    public Service service() {
        return service;
    }

    /** The peer's address (the remote end of the accepted connection). */
    public InetSocketAddress peer() {
        return peerAddress;
    }

    /** The gateway's end of the upstream connection; null before the first connect. */
    public InetSocketAddress upstreamLocal() {
        return upstreamLocal;
    }

    /** The workload's end of the upstream connection (the adopted one after a re-point); null before connect. */
    public InetSocketAddress upstreamRemote() {
        return upstreamRemote;
    }

    public State state() {
        return state;
    }

    /** The peer ended its side (FIN); passed upstream at once, or after thaw when it came while frozen. */
    public boolean peerEnded() {
        return peerEnded;
    }

    /** The workload ended its side (FIN); passed to the peer at once. */
    public boolean upstreamEnded() {
        return upstreamEnded;
    }

    /** Bytes read from the peer (held bytes included). */
    public long bytesUp() {
        return bytesUp;
    }

    /** Bytes read from the workload. */
    public long bytesDown() {
        return bytesDown;
    }

    public Instant opened() {
        return opened;
    }

    /** Bytes read from the peer that wait for the upstream (frozen, or not yet connected). */
    public long heldBytes() {
        return held.size();
    }

    /**
     * Bytes in Netty's outbound buffers, read from one side and not yet taken by the other side's socket (held
     * bytes not included). Bounded by backpressure to about a write buffer's high water mark per direction.
     */
    public long queuedBytes() {
        return Outbound.pendingBytes(peer) + Outbound.pendingBytes(upstream);
    }

    /** The event loop every state change of this flow happens on. */
    public EventLoop eventLoop() {
        return loop;
    }

    /** Completes once both sockets are closed. */
    CompletableFuture<Void> closedFuture() {
        return closed;
    }

    // ---- migration operations ----

    /**
     * Stops reading the peer (bytes already read and not yet written upstream are held, in order) and stops
     * writing upstream; the upstream is still read and written to the peer, so the peer sees only backpressure.
     * Bytes Netty had queued for the upstream socket and not written yet are taken back into the held bytes, so
     * this completes when no further byte will be written upstream. Idempotent. A CONNECTING flow freezes when
     * its connect completes; a WAITING flow has no upstream to write to, so this completes at once and leaves it
     * WAITING.
     *
     * @return completes on the flow's event loop; fails with {@link FlowClosedException} when the flow is gone
     */
    public CompletableFuture<Void> freeze() {
        return onLoop("freezing", f -> {
            switch (state) {
                case OPEN -> {
                    state = State.FROZEN;
                    peer.config().setAutoRead(false);
                    takeUnwritten(upstream);
                    f.complete(null);
                }
                case FROZEN, WAITING -> f.complete(null);
                case CONNECTING -> {
                    if (freezeOnConnect == null) freezeOnConnect = new CompletableFuture<>();
                    relay(freezeOnConnect, f);
                }
                default -> throw new IllegalStateException("unreachable: " + state);
            }
        });
    }

    /**
     * (Frozen flows only.) Stops reading the upstream, takes the bytes Netty had not yet written to its socket
     * back to the front of the held bytes, and takes the upstream channel out of epoll, so that nothing in the
     * gateway touches its socket any more: it stays open for the caller to capture (dup + TCP_REPAIR) through
     * the returned fd. Bytes read from it before this completes have gone to the peer; bytes that arrive later
     * stay in the socket's receive queue.
     *
     * <p>The channel is deregistered rather than left registered with autoRead off: on EPOLLRDHUP (the workload
     * half-closed) Netty reads to the end of stream even with autoRead off, and an EPOLLERR makes it read too —
     * reads that would race the capture, or fail with EPERM in repair mode and close the channel.
     *
     * @return the upstream socket's fd; completes on the flow's event loop
     */
    public CompletableFuture<Integer> detachUpstream() {
        return onLoop("detaching the upstream of", f -> {
            requireState(State.FROZEN, "detach its upstream (freeze it first)");
            Channel ch = upstream;
            if (ch == null) {
                if (detached != null) {
                    f.complete(fd(detached)); // detached already: same answer
                    return;
                }
                throw new IllegalStateException("flow " + id + " has no upstream to detach (adopt one first)");
            }
            ch.config().setAutoRead(false);
            takeUnwritten(ch);
            detached = ch;
            upstream = null;
            service.detachedChanged(this, true);
            ch.deregister().addListener(d -> {
                if (!d.isSuccess() || !ch.isOpen()) {
                    f.completeExceptionally(new IllegalStateException("detaching the upstream of flow " + id
                            + ": the channel " + (ch.isOpen() ? "did not leave epoll" : "closed meanwhile"), d.cause()));
                    return;
                }
                f.complete(fd(ch));
            });
        });
    }

    /**
     * Closes the detached upstream channel. No handler reacts (no close toward the peer, nothing counted as a
     * failure); the caller has put the socket in repair mode first, so the close is silent on the wire. Runs even
     * when the flow is gone (the channel must not leak), and then fails with {@link FlowClosedException}.
     */
    public CompletableFuture<Void> closeDetachedUpstream() {
        return onLoopEvenIfGone("closing the detached upstream of", f -> {
            Channel ch = detached;
            if (ch == null) {
                if (isGone()) throw gone("closing the detached upstream of");
                throw new IllegalStateException("flow " + id + " has no detached upstream");
            }
            detached = null;
            service.detachedChanged(this, false);
            ch.close().addListener(c -> {
                if (isGone()) f.completeExceptionally(gone("closing the detached upstream of"));
                else if (!c.isSuccess()) f.completeExceptionally(c.cause());
                else f.complete(null);
            });
        });
    }

    /**
     * Makes the connected socket {@code fd} (rebuilt toward the workload's new host, out of repair mode) this
     * frozen flow's upstream: a new {@code EpollSocketChannel(fd)} with the upstream handlers, registered on the
     * flow's event loop. It is read at once (the workload's bytes go to the peer while the flow is still frozen);
     * {@link #thaw()} then sends it the held bytes. The old upstream must have been detached and closed.
     *
     * <p>Ownership of {@code fd} passes to the flow when the future completes normally; when it fails, the fd is
     * still the caller's (unless registration itself failed, which closes it).
     */
    public CompletableFuture<Void> adoptUpstream(int fd) {
        return onLoop("adopting an upstream into", f -> {
            requireState(State.FROZEN, "adopt an upstream (freeze it first)");
            if (upstream != null || detached != null) {
                throw new IllegalStateException("flow " + id + " still has its " + (upstream != null
                        ? "upstream: detach it and close it first" : "detached upstream: close it first"));
            }
            // A rebuilt socket starts blocking; an event loop must never block on a read.
            TcpSocket.borrow(fd).configureBlocking(false);
            EpollSocketChannel ch = Sockets.upstream(new EpollSocketChannel(fd), service.timeouts().connect());
            if (!ch.isActive()) {
                // SO_ERROR is set (reset after its rebuild): Netty would keep it as a channel never connected,
                // which neither reads nor closes, and the flow would wait on it for good
                throw new IllegalStateException("adopting fd " + fd + " into flow " + id + ": the socket is not "
                        + "connected any more (reset after it was rebuilt)");
            }
            ch.pipeline().addLast(new UpstreamHandler(this, true));
            loop.register(ch).addListener(r -> {
                if (!r.isSuccess()) {
                    f.completeExceptionally(new IllegalStateException("adopting fd " + fd + " into flow " + id
                            + ": registering it on the event loop failed", r.cause()));
                    return;
                }
                if (isGone() || upstream != null) { // the flow closed meanwhile: the fd is still the caller's
                    ch.deregister();
                    f.completeExceptionally(isGone() ? gone("adopting an upstream into")
                            : new IllegalStateException("flow " + id + " got another upstream meanwhile"));
                    return;
                }
                upstream = ch;
                upstreamLocal = ch.localAddress();
                upstreamRemote = ch.remoteAddress();
                ch.config().setAutoRead(peer.isWritable() && !upstreamEnded);
                f.complete(null);
            });
        });
    }

    /**
     * Writes the held bytes to the current upstream (the adopted one, or the original one when the migration
     * stopped before replacing it — a detached, unclosed original goes back into epoll), passes on a FIN the
     * peer sent while frozen, and reads both sides again. Idempotent; a WAITING flow stays WAITING.
     */
    public CompletableFuture<Void> thaw() {
        return onLoop("thawing", f -> {
            switch (state) {
                case OPEN, WAITING -> f.complete(null);
                case CONNECTING -> {
                    if (freezeOnConnect == null) {
                        f.complete(null);
                    } else {
                        freezeOnConnect.whenComplete((v, e) -> {
                            if (e != null) f.completeExceptionally(e);
                            else thaw().whenComplete((v2, e2) -> complete(f, v2, e2));
                        });
                    }
                }
                case FROZEN -> {
                    if (upstream != null) {
                        open();
                        f.complete(null);
                    } else if (detached != null) {
                        reattach(f);
                    } else {
                        throw new IllegalStateException("flow " + id + " has no upstream to thaw onto (adopt one)");
                    }
                }
                default -> throw new IllegalStateException("unreachable: " + state);
            }
        });
    }

    /** Rollback: the detached original channel goes back into epoll and becomes the upstream again. */
    private void reattach(CompletableFuture<Void> f) {
        Channel ch = detached;
        detached = null;
        service.detachedChanged(this, false);
        loop.register(ch).addListener(r -> {
            if (!r.isSuccess()) {
                f.completeExceptionally(new IllegalStateException("thawing flow " + id
                        + ": putting its original upstream back into epoll failed", r.cause()));
                close("its original upstream could not be put back into epoll");
                ch.close();
                return;
            }
            if (isGone()) {
                ch.close();
                f.completeExceptionally(gone("thawing"));
                return;
            }
            upstream = ch;
            EpollInterest.inputEnded(ch, true); // back in epoll with Netty's initial interest only
            open();
            f.complete(null);
        });
    }

    // ---- data path, called by the handlers on the event loop ----

    void peerActive() {
        InetSocketAddress target = service.admit(this);
        if (target != null) connect(target);
    }

    /** From {@link Service#resumeNewFlows}: a waiting flow connects to the workload's (new) host. */
    void resume(InetSocketAddress target) {
        execute(() -> {
            if (state == State.WAITING) connect(target);
        });
    }

    private void connect(InetSocketAddress target) {
        state = State.CONNECTING;
        service.connect(loop, target, new UpstreamHandler(this, false)).addListener((ChannelFutureListener) f -> {
            Channel ch = f.channel();
            if (isGone()) {
                ch.close();
                return;
            }
            if (!f.isSuccess()) {
                service.meters().connectFailed();
                close("connecting to " + target + " failed: " + f.cause().getMessage());
                return;
            }
            upstream = ch;
            upstreamLocal = (InetSocketAddress) ch.localAddress();
            upstreamRemote = (InetSocketAddress) ch.remoteAddress();
            if (freezeOnConnect != null) {
                state = State.FROZEN;
                ch.config().setAutoRead(peer.isWritable());
                CompletableFuture<Void> frozen = freezeOnConnect;
                freezeOnConnect = null;
                frozen.complete(null);
            } else {
                open();
            }
        });
    }

    /** CONNECTING or FROZEN → OPEN: held bytes first, then the peer's FIN if it came, then read both sides. */
    private void open() {
        state = State.OPEN;
        lastActivityNanos = System.nanoTime();
        Channel up = upstream;
        if (!held.isEmpty()) {
            ByteBuf buf;
            while ((buf = held.poll()) != null) up.write(buf, up.voidPromise());
            up.flush();
        }
        if (peerEnded) endUpstreamOutput();
        peer.config().setAutoRead(!peerEnded && up.isWritable());
        up.config().setAutoRead(!upstreamEnded && peer.isWritable());
    }

    void peerRead(ByteBuf buf) {
        int n = buf.readableBytes();
        bytesUp += n;
        service.meters().up(n);
        lastActivityNanos = System.nanoTime();
        switch (state) {
            case OPEN -> {
                Channel up = upstream;
                up.write(buf, up.voidPromise());
                if (!up.isWritable()) peer.config().setAutoRead(false);
            }
            // Netty reads despite autoRead off on EPOLLRDHUP/EPOLLERR: keep those bytes, in order, for the upstream
            case WAITING, CONNECTING, FROZEN -> held.add(buf);
            default -> buf.release();
        }
    }

    void peerReadComplete() {
        if (state == State.OPEN) upstream.flush();
    }

    void peerInputEnded() {
        if (peerEnded) return;
        peerEnded = true;
        peer.config().setAutoRead(false);
        if (state != State.OPEN) return; // open() does it, after the held bytes
        if (downFinSent && upstreamEnded && Outbound.pendingBytes(upstream) == 0) {
            close("both sides ended"); // the close sends the workload our FIN: no shutdown before it
        } else {
            endUpstreamOutput();
        }
    }

    void peerWritabilityChanged() {
        Channel up = upstream;
        if (up != null && peer.isWritable() && !upstreamEnded && (state == State.OPEN || state == State.FROZEN)) {
            up.config().setAutoRead(true);
        }
    }

    void peerFailed(Throwable cause) {
        lastFailure = cause;
        LOG.debug("flow {}: peer {} failed", id, peerAddress, cause);
        peer.close();
    }

    void peerInactive() {
        Throwable cause = lastFailure;
        close(cause == null ? "the peer closed the connection" : "the peer connection failed: " + cause.getMessage());
    }

    void upstreamRead(Channel ch, ByteBuf buf) {
        // the detached channel counts until it has left epoll: what it read then is before the capture
        if ((ch != upstream && ch != detached) || isGone()) {
            buf.release();
            return;
        }
        int n = buf.readableBytes();
        bytesDown += n;
        service.meters().down(n);
        lastActivityNanos = System.nanoTime();
        peer.write(buf, peer.voidPromise());
        if (!peer.isWritable()) ch.config().setAutoRead(false);
    }

    void upstreamReadComplete(Channel ch) {
        if ((ch == upstream || ch == detached) && !isGone()) peer.flush();
    }

    void upstreamInputEnded(Channel ch) {
        if ((ch != upstream && ch != detached) || isGone() || upstreamEnded) return;
        upstreamEnded = true;
        ch.config().setAutoRead(false);
        if (upFinSent && peerEnded && state == State.OPEN && ch == upstream && Outbound.pendingBytes(peer) == 0) {
            close("both sides ended"); // the close sends the peer our FIN: no shutdown before it
        } else {
            endPeerOutput();
        }
    }

    void upstreamWritabilityChanged(Channel ch) {
        if (ch == upstream && ch.isWritable() && state == State.OPEN && !peerEnded) peer.config().setAutoRead(true);
    }

    void upstreamFailed(Channel ch, Throwable cause) {
        if (ch != upstream) return; // a detached or replaced channel: the migration owns it
        lastFailure = cause;
        LOG.debug("flow {}: upstream {} failed", id, upstreamRemote, cause);
        ch.close();
    }

    void upstreamInactive(Channel ch) {
        if (ch != upstream) return;
        upstream = null;
        Throwable cause = lastFailure;
        close(cause == null ? "the workload closed the connection"
                : "the workload connection failed: " + cause.getMessage());
    }

    /** From {@link IdleTimeout}: nanoseconds since the last byte either way, or -1 when idleness does not count. */
    long idleNanos() {
        return state == State.OPEN ? System.nanoTime() - lastActivityNanos : -1;
    }

    void closeIdle(Duration idle) {
        if (state != State.OPEN) return;
        service.meters().idleClosed();
        close("no byte either way for " + idle.toMillis() + " ms");
    }

    /** From {@link Proxy#close}: ends the flow, letting pending bytes drain for the drain timeout. */
    void shutdown() {
        execute(() -> {
            if (held.size() > 0) LOG.warn("flow {}: gateway closing with {} held bytes", id, held.size());
            close("the gateway is closing");
            if (detached != null) {
                Channel ch = detached;
                detached = null;
                service.detachedChanged(this, false);
                ch.close();
            }
        });
    }

    // ---- ends ----

    /** After the peer's bytes are written, the workload's side gets our FIN. Not while frozen: thaw does it. */
    private void endUpstreamOutput() {
        Channel ch = upstream;
        if (upEndStarted || ch == null) return;
        upEndStarted = true;
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (!f.isSuccess()) return; // the channel failed: its close ends the flow
            if (ch != upstream || state != State.OPEN) {
                upEndStarted = false; // frozen meanwhile: open() sends it after the held bytes
                return;
            }
            ((DuplexChannel) ch).shutdownOutput().addListener(s -> {
                if (s.isSuccess()) {
                    EpollInterest.outputShutDown(ch);
                    upFinSent = true;
                    endIfBothEnded();
                }
            });
        });
    }

    private void endPeerOutput() {
        if (downEndStarted) return;
        downEndStarted = true;
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (!f.isSuccess()) return;
            ((DuplexChannel) peer).shutdownOutput().addListener(s -> {
                if (s.isSuccess()) {
                    EpollInterest.outputShutDown(peer);
                    downFinSent = true;
                    endIfBothEnded();
                }
            });
        });
    }

    private void endIfBothEnded() {
        if (upFinSent && downFinSent && peerEnded && upstreamEnded) close("both sides ended");
    }

    /**
     * Ends the flow because its workload-side connection could not be kept (a migration lost it): both channels
     * close, the peer sees the connection end.
     */
    public CompletableFuture<Void> abort(String why) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        eventLoop().execute(() -> {
            close(why);
            done.complete(null);
        });
        return done;
    }

    /** Closes both channels after their pending bytes (at most the drain timeout); a detached one is left alone. */
    private void close(String why) {
        if (isGone()) return;
        State was = state;
        endReason = why;
        state = State.CLOSING;
        if (LOG.isDebugEnabled()) LOG.debug("flow {} ({} -> {}): {}", id, peerAddress, upstreamRemote, why);
        if (was == State.WAITING) service.forgetWaiting(this);
        held.release();
        if (freezeOnConnect != null) {
            freezeOnConnect.completeExceptionally(gone("freezing"));
            freezeOnConnect = null;
        }
        Channel up = upstream;
        upstream = null;
        channelsToClose = up == null ? 1 : 2;
        Outbound.closeAfterFlush(peer, service.timeouts().drain());
        peer.closeFuture().addListener(c -> channelClosed());
        if (up != null) {
            Outbound.closeAfterFlush(up, service.timeouts().drain());
            up.closeFuture().addListener(c -> channelClosed());
        }
    }

    private void channelClosed() {
        if (--channelsToClose > 0) return;
        state = State.CLOSED;
        service.flowEnded(this);
        closed.complete(null);
    }

    // ---- helpers ----

    /** The bytes Netty had queued for {@code ch}'s socket and not written go back to the front of the held bytes. */
    private void takeUnwritten(Channel ch) {
        held.addFirst(Outbound.takeUnwritten(ch));
    }

    private boolean isGone() {
        return state == State.CLOSING || state == State.CLOSED;
    }

    private FlowClosedException gone(String operation) {
        return new FlowClosedException(id, operation, endReason == null ? "closed" : endReason);
    }

    private void requireState(State required, String toDo) {
        if (state != required) {
            throw new IllegalStateException("flow " + id + " is " + state + ", not " + required + ": cannot " + toDo);
        }
    }

    private <T> CompletableFuture<T> onLoop(String operation, Consumer<CompletableFuture<T>> body) {
        return onLoopEvenIfGone(operation, f -> {
            if (isGone()) throw gone(operation);
            body.accept(f);
        });
    }

    private <T> CompletableFuture<T> onLoopEvenIfGone(String operation, Consumer<CompletableFuture<T>> body) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Runnable task = () -> {
            try {
                body.accept(f);
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        };
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new FlowClosedException(id, operation, "the gateway has shut down"));
        }
        return f;
    }

    private void execute(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            LOG.debug("flow {}: event loop shut down", id);
        }
    }

    private static int fd(Channel ch) {
        return ((EpollSocketChannel) ch).fd().intValue();
    }

    private static <T> void relay(CompletableFuture<T> from, CompletableFuture<T> to) {
        from.whenComplete((v, e) -> complete(to, v, e));
    }

    private static <T> void complete(CompletableFuture<T> f, T value, Throwable failure) {
        if (failure != null) f.completeExceptionally(failure);
        else f.complete(value);
    }

    @Override
    public String toString() {
        return "Flow[" + id + " " + service.name() + " " + peerAddress + " -> " + upstreamRemote + " " + state + "]";
    }
}
