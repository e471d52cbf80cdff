package dev.baton.socket;

import dev.baton.socket.internal.Libc;
import dev.baton.socket.internal.SockAddr;

import java.lang.foreign.Arena;
import java.net.InetAddress;
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
            TcpSocketState after;
            try {
                after = before.withRemote(newRemote); // a wrong family fails here, before anything is touched
            } catch (IllegalArgumentException e) {
                throw new SocketCaptureException(SocketCaptureException.Reason.ADDRESS_UNAVAILABLE,
                        "re-pointing fd " + socket.fd(), e.getMessage());
            }
            session.disconnect();
            try {
                session.restore(after);
            } catch (RuntimeException e) {
                rollBack(session, before, e);
                throw e;
            }
            return before;
        }
    }

    /**
     * Links the native calls and the JSON codec ahead of time: a cold JVM spends 100 ms or more on the first
     * capture or rebuild, which must not fall inside a freeze. Safe to call any time, from any thread; it
     * touches no connection (it puts a fresh, unconnected socket in and out of repair mode).
     */
    public static void warmUp() {
        try (Arena arena = Arena.ofConfined()) {
            TcpSocket scratch = TcpSocket.open(Family.INET);
            try (scratch) {
                Libc.setsockoptInt(scratch.fd(), Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1);
                Libc.bind(scratch.fd(), SockAddr.encode(arena, Libc.AF_INET,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
                scratch.localAddress();
                RepairSession.enter(scratch).close();
            }
        } catch (RuntimeException e) {
            // Without CAP_NET_ADMIN the repair step fails; what was linked so far still helps.
        }
        TcpSocketState sample = new TcpSocketState(TcpSocketState.FORMAT_VERSION, Family.INET,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 1),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 2), TcpState.ESTABLISHED,
                new ReceiveQueue(1, new byte[16]), new SendQueue(2, new byte[16], new byte[16]),
                new TcpOptions(1460, true, true, new TcpOptions.WindowScale(7, 7)), 3L,
                new RepairWindow(1, 2, 3, 4, 5));
        StateJson.read(StateJson.write(sample.reconciledWith(10)));
    }

    private static void rollBack(RepairSession session, TcpSocketState before, RuntimeException failure) {
        try {
            session.disconnect();
            session.restore(before);
        } catch (RuntimeException again) {
            failure.addSuppressed(again);
        }
    }
}
