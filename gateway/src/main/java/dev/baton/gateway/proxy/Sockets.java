package dev.baton.gateway.proxy;

import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/** How the gateway's sockets are made and set up: one place, so accepted, connected and adopted ones agree. */
final class Sockets {
    /**
     * Per direction, what Netty may queue for a socket before the other side stops being read: bounds a flow's
     * memory (about 2 × 256 KiB plus one read) while keeping enough in flight for bulk transfers.
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(64 * 1024, 256 * 1024);

    private Sockets() {
    }

    /** An IPv4 socket for an IPv4 address (no v4-mapped dual-stack socket), an IPv6 socket otherwise. */
    static SocketProtocolFamily familyOf(InetAddress address) {
        return address instanceof Inet6Address ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
    }

    /**
     * One of a service's listeners, one per event loop on the same address: SO_REUSEPORT makes the kernel spread
     * new connections over them (by address hash), so each connection is accepted on the loop that serves it.
     */
    static EpollServerSocketChannel listener(InetAddress address) {
        EpollServerSocketChannel ch = new EpollServerSocketChannel(familyOf(address));
        ch.config().setReuseAddress(true).setReusePort(true).setBacklog(1024);
        return ch;
    }

    /**
     * Checks that {@code address} is free for this gateway and returns it with the port the kernel picks for
     * port 0: a plain bind (no SO_REUSEPORT, not listening), released at once. SO_REUSEPORT would otherwise let the
     * listeners join those of another process of this user (a second gateway on the same address) instead of
     * failing; this bind fails as a plain listener would ("Address already in use").
     *
     * @throws IOException the address is taken or not on this host
     */
    static InetSocketAddress claim(InetSocketAddress address) throws IOException {
        try (SocketChannel probe = SocketChannel.open(familyOf(address.getAddress()).toJdkFamily())) {
            probe.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            probe.bind(address);
            return new InetSocketAddress(address.getAddress(), ((InetSocketAddress) probe.getLocalAddress()).getPort());
        }
    }

    /**
     * An accepted peer channel: not read until its upstream is there, half-close passed on, no Nagle delay.
     * TCP_NODELAY is not set here: Netty sets it on every epoll socket it makes (its Linux default; a test holds
     * it to that), and setting it again would be one more syscall per socket.
     */
    static void peer(EpollSocketChannel ch) {
        ch.config().setAutoRead(false).setAllowHalfClosure(true).setWriteBufferWaterMark(WATER_MARK);
    }

    /**
     * An upstream channel, connected by the gateway or adopted from a rebuilt socket; TCP_NODELAY as for
     * {@link #peer} (a rebuilt socket gets it from Netty too: the channel is new).
     */
    static EpollSocketChannel upstream(EpollSocketChannel ch, Duration connectTimeout) {
        ch.config().setAutoRead(false).setAllowHalfClosure(true)
                .setWriteBufferWaterMark(WATER_MARK)
                .setConnectTimeoutMillis((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
        return ch;
    }
}
