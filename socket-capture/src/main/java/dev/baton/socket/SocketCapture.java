package dev.baton.socket;

import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;

import java.net.InetSocketAddress;

/**
 * The three things most callers want, composed from {@link RepairSession}: capture a socket's state, rebuild a
 * state into a new socket, and re-point a live socket at a new peer address in place. Each leaves nothing in
 * repair mode when it fails. For the network namespace a socket is rebuilt in, call these inside
 * {@link dev.baton.netns.NetNamespace#call}.
 */
public final class SocketCapture {
    private SocketCapture() {}

    /**
     * Captures {@code socket}'s state and lets it run on, unchanged (repair mode is left without a window probe,
     * so the peer sees nothing). Same precondition as {@link RepairSession}: no packets reach the socket meanwhile.
     */
    public static TcpSocketState capture(TcpSocket socket) {
        try (RepairSession session = RepairSession.enter(socket)) {
            return session.snapshot();
        }
    }

    /**
     * Rebuilds {@code state} into a new socket in the calling thread's network namespace, bound to
     * {@code state.local()} and connected to {@code state.remote()} (override either with
     * {@link TcpSocketState#withLocal}/{@link TcpSocketState#withRemote}), and starts it. On failure the
     * half-built socket is closed silently, so the peer sees nothing.
     */
    public static TcpSocket rebuild(TcpSocketState state) {
        TcpSocket socket;
        try {
            int fd = Libc.socket(state.family() == Family.INET ? Libc.AF_INET : Libc.AF_INET6,
                    Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
            socket = TcpSocket.own(fd);
            // Before repair mode, so the rebuilt socket may share a port with a listener.
            Libc.setsockoptInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1);
        } catch (ErrnoException e) {
            throw SocketCaptureException.of("creating a socket for " + state.local() + " -> " + state.remote(), e);
        }
        RepairSession session;
        try {
            session = RepairSession.enter(socket);
        } catch (RuntimeException e) {
            socket.close();
            throw e;
        }
        try {
            session.restore(state);
        } catch (RuntimeException e) {
            session.closeSilently();
            throw e;
        }
        session.resume();
        return socket;
    }

    /**
     * Re-points a live socket — typically one taken from another process with {@link ProcessSockets#grab} — at
     * {@code newRemote}, keeping its fd, sequence numbers, queues and options: snapshot, silent disconnect,
     * rebuild into the same socket, resume. The owning process keeps its fd and sees only a pause; it must be
     * stopped meanwhile ({@link ProcessSockets#pause()}). If the rebuild fails, the original connection is
     * rebuilt into the socket again before the error is thrown.
     *
     * @return the state before the re-point
     */
    public static TcpSocketState repoint(TcpSocket socket, InetSocketAddress newRemote) {
        try (RepairSession session = RepairSession.enter(socket)) {
            TcpSocketState before = session.snapshot();
            session.disconnect();
            try {
                session.restore(before.withRemote(newRemote));
            } catch (SocketCaptureException e) {
                rollBack(session, before, e);
                throw e;
            }
            return before;
        }
    }

    private static void rollBack(RepairSession session, TcpSocketState before, SocketCaptureException failure) {
        try {
            session.disconnect();
            session.restore(before);
        } catch (RuntimeException again) {
            failure.addSuppressed(again);
        }
    }
}
