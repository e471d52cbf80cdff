package dev.baton.gateway.admin;

import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.keys.ClusterTlsFailures;
import dev.baton.gateway.migrate.MigrationRefusedException;
import dev.baton.socket.StateJson;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLPeerUnverifiedException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * One caller's connection, after TLS and HTTP decoding: logs a refused handshake, routes each request and runs its
 * handler on a handler thread. One request at a time: while one is in flight reading stops, and requests already
 * decoded (pipelined) wait their turn, so answers go out in request order and a caller cannot pile up work.
 */
final class AdminConnection extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

    private final AdminRoutes routes;
    private final ExecutorService handlers;
    private String from = "?";
    private String caller = "?";
    private boolean handshaken;
    /** A request is being answered (until its answer is written); touched on the event loop only. */
    private boolean busy;
    private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();

    AdminConnection(AdminRoutes routes, ExecutorService handlers) {
        this.routes = routes;
        this.handlers = handlers;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress a) from = StateJson.format(a);
        super.channelActive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof SslHandshakeCompletionEvent done) {
            if (done.isSuccess()) {
                caller = peerName(ctx);
                handshaken = true;
            } else {
                LOG.warn("admin API refused a caller at {}: {}", from, ClusterTlsFailures.whyRefused(done.cause()));
                ctx.close();
            }
        } else if (event instanceof IdleStateEvent) {
            LOG.debug("admin API: closing the idle connection of {} at {}", caller, from);
            ctx.close();
        } else {
            super.userEventTriggered(ctx, event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Before the handshake completed, the completion event says why (one line); the rest is noise.
        if (handshaken) LOG.warn("admin API: connection of {} at {} failed: {}", caller, from, cause.toString());
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        waiting.forEach(FullHttpRequest::release);
        waiting.clear();
        super.channelInactive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (busy) {
            waiting.add(request.retain());
        } else {
            busy = true;
            ctx.channel().config().setAutoRead(false);
            handle(ctx, request);
        }
    }

    /** Answers {@code request}: at once, or later from a handler thread; {@link #answer} then takes the next. */
    private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        String method = request.method().name();
        if (request.decoderResult().isFailure()) {
            answer(ctx, method + " " + request.uri(), System.nanoTime(), Responses.error(HttpResponseStatus.BAD_REQUEST,
                    "malformed HTTP request: " + request.decoderResult().cause().getMessage(), false));
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        List<String> segments;
        try {
            segments = AdminRoutes.split(uri.rawPath()).stream().map(QueryStringDecoder::decodeComponent).toList();
        } catch (IllegalArgumentException e) {
            answer(ctx, method + " " + request.uri(), System.nanoTime(), Responses.error(HttpResponseStatus.BAD_REQUEST,
                    "malformed path " + uri.rawPath() + ": " + e.getMessage(), keepAlive));
            return;
        }
        String path = uri.path();
        String what = method + " " + request.uri();
        long start = System.nanoTime();
        switch (routes.match(method, segments)) {
            case AdminRoutes.Match.NoSuchPath() -> answer(ctx, what, start,
                    Responses.error(HttpResponseStatus.NOT_FOUND, "no such path: " + path, keepAlive));
            case AdminRoutes.Match.WrongMethod(var allowed) -> {
                FullHttpResponse r = Responses.error(HttpResponseStatus.METHOD_NOT_ALLOWED, path + " takes "
                        + String.join(" or ", allowed) + ", not " + method, keepAlive);
                r.headers().set(HttpHeaderNames.ALLOW, String.join(", ", allowed));
                answer(ctx, what, start, r);
            }
            case AdminRoutes.Match.Found(var route, var params) -> {
                AdminRequest r = new AdminRequest(method, path, params, uri.parameters(),
                        ByteBufUtil.getBytes(request.content()), caller);
                try {
                    handlers.execute(() -> answer(ctx, what, start, run(route.handler(), r, keepAlive)));
                } catch (RejectedExecutionException e) {
                    ctx.close(); // the server is closing
                }
            }
        }
    }

    /** Runs the handler and turns what it returned or threw into the answer; never throws. */
    private static FullHttpResponse run(AdminHandler handler, AdminRequest r, boolean keepAlive) {
        try {
            return switch (handler.handle(r)) {
                case Reply.Text t -> Responses.text(t.contentType(), t.body(), keepAlive);
                case Reply.Json j -> Responses.json(HttpResponseStatus.valueOf(j.status()), AdminJson.write(j.body()),
                        keepAlive);
                case null -> Responses.json(HttpResponseStatus.NO_CONTENT, new byte[0], keepAlive);
                case Object o -> Responses.json(HttpResponseStatus.OK, AdminJson.write(o), keepAlive);
            };
        } catch (AdminException e) {
            return Responses.error(HttpResponseStatus.valueOf(e.status()), e.getMessage(), keepAlive);
        } catch (MigrationRefusedException e) {
            return Responses.error(HttpResponseStatus.CONFLICT, e.getMessage(), keepAlive);
        } catch (Exception | LinkageError | AssertionError e) {
            LOG.error("admin API: {} failed", r, e);
            String m = e.getMessage() == null || e.getMessage().isBlank() ? e.toString() : e.getMessage();
            return Responses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, r.method() + " " + r.path()
                    + " failed: " + m + " (details in the gateway's log)", keepAlive);
        }
    }

    private void answer(ChannelHandlerContext ctx, String what, long start, FullHttpResponse response) {
        int status = response.status().code();
        boolean keepAlive = HttpUtil.isKeepAlive(response);
        ctx.writeAndFlush(response).addListener(written -> {
            double ms = (System.nanoTime() - start) / 1e6;
            if (what.startsWith("GET ") && status < 500) {
                LOG.debug("admin API: {} {} → {} in {} ms", caller, what, status, String.format("%.1f", ms));
            } else {
                LOG.info("admin API: {} {} → {} in {} ms", caller, what, status, String.format("%.1f", ms));
            }
            if (!written.isSuccess() || !keepAlive) {
                ctx.close();
                return;
            }
            FullHttpRequest next = waiting.poll();
            if (next == null) {
                busy = false;
                ctx.channel().config().setAutoRead(true);
            } else {
                // A task of its own rather than a nested call: answers written at once complete at once.
                ctx.executor().execute(() -> {
                    try {
                        handle(ctx, next);
                    } finally {
                        next.release();
                    }
                });
            }
        });
    }

    private static String peerName(ChannelHandlerContext ctx) {
        try {
            return ClusterKeys.peerHostName(ctx.pipeline().get(SslHandler.class).engine().getSession());
        } catch (SSLPeerUnverifiedException e) {
            return "?"; // cannot happen: the client certificate is required
        }
    }
}
