package dev.baton.socket;

import java.net.InetSocketAddress;

/**
 * One TCP socket of a process, as {@link ProcessSockets#list()} finds it (no repair mode involved).
 *
 * @param fd     the file descriptor number in that process
 * @param inode  the socket's inode, which identifies it across processes
 */
public record SocketEntry(int fd, long inode, Family family, InetSocketAddress local, InetSocketAddress remote,
                          TcpState state) {
}
