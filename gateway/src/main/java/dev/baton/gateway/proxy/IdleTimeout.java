package dev.baton.gateway.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a flow that carried no byte either way for the idle timeout. Sits on the peer channel; one timer per
 * flow, re-armed for the time left. Only open flows count: a frozen or waiting flow is in a migration's hands.
 */
final class IdleTimeout extends ChannelInboundHandlerAdapter {
    private final Flow flow;
    private final Duration idle;
    private ScheduledFuture<?> timer;

    IdleTimeout(Flow flow, Duration idle) {
        this.flow = flow;
        this.idle = idle;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(ctx, idle.toNanos());
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) timer.cancel(false);
        ctx.fireChannelInactive();
    }

    private void arm(ChannelHandlerContext ctx, long nanos) {
        timer = ctx.executor().schedule(() -> check(ctx), nanos, TimeUnit.NANOSECONDS);
    }

    private void check(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) return;
        long quiet = flow.idleNanos();
        if (quiet < 0) {
            arm(ctx, idle.toNanos()); // not open: check again later, counting from then
        } else if (quiet >= idle.toNanos()) {
            flow.closeIdle(idle);
        } else {
            arm(ctx, idle.toNanos() - quiet);
        }
    }
}
