package dev.baton.ckpt.image;

import dev.baton.socket.Family;
import dev.baton.socket.TcpState;

import java.net.InetSocketAddress;

/**
 * An inet socket as CRIU dumped it: an INETSK entry of files.img ({@code file_entry.isk}). An {@code AF_INET6}
 * socket may hold IPv4-mapped addresses, which Java shows as IPv4: {@code family} keeps the difference.
 *
 * @param id       the file id (fdinfo entries point at it)
 * @param ino      the socket inode; a connected TCP socket's queues are in {@code tcp-stream-<ino in hex>.img}
 * @param type     {@code SOCK_STREAM} (1), {@code SOCK_DGRAM} (2), …
 * @param protocol {@code IPPROTO_TCP} (6), {@code IPPROTO_UDP} (17), …
 * @param state    the kernel's socket state (TCP numbering, also for UDP: CLOSE, or ESTABLISHED when connected)
 * @param local    source address and port (wildcard when unbound or bound to any)
 * @param remote   destination address and port (wildcard, port 0, when not connected)
 */
public record InetSocketImage(long id, long ino, Family family, int type, int protocol, TcpState state,
                              InetSocketAddress local, InetSocketAddress remote) {
    static final int IPPROTO_TCP = 6;

    public boolean isTcp() {
        return protocol == IPPROTO_TCP;
    }

    public boolean isListening() {
        return isTcp() && state == TcpState.LISTEN;
    }

    /** The name of the file that holds this socket's TCP queues and sequence numbers, when it has one. */
    public String tcpStreamFileName() {
        return "tcp-stream-" + Long.toHexString(ino) + ".img";
    }

    @Override
    public String toString() {
        String proto = isTcp() ? "tcp" : protocol == 17 ? "udp" : "proto " + protocol;
        return proto + (family == Family.INET6 ? "6 " : " ") + format(local) + " -> " + format(remote) + " " + state
                + " (id " + id + ", ino " + ino + ")";
    }

    private static String format(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
