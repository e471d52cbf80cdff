package dev.baton.gateway.proxy;

import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;

import java.net.Inet6Address;
import java.net.InetAddress;
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

    static EpollServerSocketChannel listener(InetAddress address) {
        EpollServerSocketChannel ch = new EpollServerSocketChannel(familyOf(address));
        ch.config().setReuseAddress(true).setBacklog(1024);
        return ch;
    }

    /** An accepted peer channel: not read until its upstream is there, half-close passed on, no Nagle delay. */
    static void peer(EpollSocketChannel ch) {
        ch.config().setAutoRead(false).setAllowHalfClosure(true).setTcpNoDelay(true)
                .setWriteBufferWaterMark(WATER_MARK);
    }

    /** An upstream channel, connected by the gateway or adopted from a rebuilt socket. */
    static EpollSocketChannel upstream(EpollSocketChannel ch, Duration connectTimeout) {
        ch.config().setAutoRead(false).setAllowHalfClosure(true).setTcpNoDelay(true)
                .setWriteBufferWaterMark(WATER_MARK)
                .setConnectTimeoutMillis((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
        return ch;
    }
}
