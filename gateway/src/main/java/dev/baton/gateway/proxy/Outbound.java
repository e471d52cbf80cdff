package dev.baton.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What Netty has queued for a channel's socket and not written yet: how much, taking it back, closing after it.
 * Reaches into the channel's {@link ChannelOutboundBuffer} (Netty's {@code Channel.Unsafe}) because a freeze
 * must take back bytes Netty already accepted for the old upstream; only ever on the channel's event loop, except
 * {@link #pendingBytes}, which reads a volatile counter.
 */
final class Outbound {
    private Outbound() {
    }

    /** Bytes accepted by {@code write} and not yet taken by the socket (0 for null or a closed channel). */
    static long pendingBytes(Channel ch) {
        if (ch == null) return 0;
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    /**
     * Removes everything queued for {@code ch}'s socket and returns the unwritten bytes in order (of a partly
     * written buffer, from where the kernel stopped); the caller owns the returned buffers. The writes'
     * promises complete successfully, as if written: their bytes are now the caller's to deliver.
     */
    static List<ByteBuf> takeUnwritten(Channel ch) {
        List<ByteBuf> taken = new ArrayList<>();
        ChannelOutboundBuffer out = ch == null ? null : ch.unsafe().outboundBuffer();
        if (out == null) return taken; // closed
        out.addFlush(); // unflushed writes too
        Object msg;
        while ((msg = out.current()) != null) {
            if (msg instanceof ByteBuf buf && buf.isReadable()) taken.add(buf.retain());
            out.remove(); // releases the message once; we kept our own reference
        }
        return taken;
    }

    /** Closes {@code ch} once what is queued for it is written, or after {@code drain} at the latest. */
    static void closeAfterFlush(Channel ch, Duration drain) {
        if (!ch.isActive() || pendingBytes(ch) == 0) {
            ch.close();
            return;
        }
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        var timer = ch.eventLoop().schedule(() -> ch.close(), drain.toNanos(), TimeUnit.NANOSECONDS);
        ch.closeFuture().addListener(c -> timer.cancel(false));
    }
}
