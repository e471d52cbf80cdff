package dev.baton.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;

/**
 * The workload side of one flow: passes an upstream channel's events to its {@link Flow}, naming the channel,
 * since a flow's upstream can be replaced (detached, adopted) and a replaced channel's events must not count.
 * One per upstream channel.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private final Flow flow;
    /** The channel's socket was rebuilt (adopted after a capture): see {@link EpollInterest#inputEnded}. */
    private final boolean rebuilt;

    UpstreamHandler(Flow flow, boolean rebuilt) {
        this.flow = flow;
        this.rebuilt = rebuilt;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        flow.upstreamRead(ctx.channel(), (ByteBuf) msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flow.upstreamReadComplete(ctx.channel());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            EpollInterest.inputEnded(ctx.channel(), rebuilt);
            flow.upstreamInputEnded(ctx.channel());
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        flow.upstreamWritabilityChanged(ctx.channel());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        flow.upstreamFailed(ctx.channel(), cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        flow.upstreamInactive(ctx.channel());
    }
}
