package dev.baton.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;

/** The peer side of one flow: passes the peer channel's events to its {@link Flow}. One per connection. */
final class PeerHandler extends ChannelInboundHandlerAdapter {
    private final Flow flow;

    PeerHandler(Flow flow) {
        this.flow = flow;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        flow.peerActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        flow.peerRead((ByteBuf) msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flow.peerReadComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            EpollInterest.inputEnded(ctx.channel(), false);
            flow.peerInputEnded();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        flow.peerWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        flow.peerFailed(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        flow.peerInactive();
    }
}
