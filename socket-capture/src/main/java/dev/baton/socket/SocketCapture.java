package dev.baton.socket;

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
        RepairSession session = RepairSession.rebuild(state);
        session.resume();
        return session.socket();
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
