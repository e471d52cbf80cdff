package dev.baton.peer;

import dev.baton.socket.RepairSession;
import dev.baton.socket.TcpSocket;
import dev.baton.socket.TcpSocketState;

import java.net.InetSocketAddress;

/**
 * Re-points a connection this process owns by replacing its socket: the original is captured and retired
 * silently, and each {@link #aim} builds a new socket with the exact TCP state aimed at the far end's address,
 * quiet in repair mode until {@link #resume()}. The caller then adopts {@link #socket()} (the gateway hands its
 * fd to Netty) — no new connection, the peer sees the same stream.
 *
 * <p>The original must be gone before the first {@link #aim} back at its own address (two sockets cannot hold
 * the same four-tuple): {@link #begin} leaves it in repair mode, so its owner's close is silent on the wire.
 */
public final class SocketRebuild implements Repoint {
    private final TcpSocketState before;
    private RepairSession rebuilt;
    private boolean resumed;

    private SocketRebuild(TcpSocketState before) {
        this.before = before;
    }

    /**
     * Captures {@code original} in repair mode and leaves it so: its owner then closes it, silently. The
     * original's owner must not read or write it from here on.
     */
    public static SocketRebuild begin(TcpSocket original) {
        RepairSession session = RepairSession.enter(original);
        try {
            return new SocketRebuild(session.snapshot());
        } catch (RuntimeException e) {
            session.close(); // back out of repair mode: the original runs on as it was
            throw e;
        }
    }

    /** Re-points from a state captured earlier (the original is already gone). */
    public static SocketRebuild of(TcpSocketState captured) {
        return new SocketRebuild(captured);
    }

    @Override
    public TcpSocketState before() {
        return before;
    }

    /** Replaces any socket an earlier aim built (closed silently) by one aimed at {@code newRemote}. */
    @Override
    public void aim(InetSocketAddress newRemote, long farEndRcvNxt) {
        if (resumed) throw new IllegalStateException("already resumed");
        dropRebuilt();
        rebuilt = RepairSession.rebuild(before.withRemote(newRemote).reconciledWith(farEndRcvNxt));
    }

    @Override
    public void resume() {
        if (rebuilt == null) throw new IllegalStateException("not aimed anywhere yet");
        if (resumed) return;
        rebuilt.resume();
        resumed = true;
    }

    /** The rebuilt socket, owned by the caller once resumed. */
    public TcpSocket socket() {
        if (rebuilt == null) throw new IllegalStateException("not aimed anywhere yet");
        return rebuilt.socket();
    }

    /** Before resume: the rebuilt socket, if any, is closed silently — the connection then lives only in {@link #before()}. */
    @Override
    public void close() {
        if (!resumed) dropRebuilt();
    }

    private void dropRebuilt() {
        if (rebuilt != null && rebuilt.isRepairing()) rebuilt.closeSilently();
        rebuilt = null;
    }
}
