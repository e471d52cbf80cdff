package dev.baton.peer;

import dev.baton.socket.ProcessSockets;
import dev.baton.socket.RepairSession;
import dev.baton.socket.TcpSocket;
import dev.baton.socket.TcpSocketState;

import java.net.InetSocketAddress;

/**
 * Re-points one socket of a peer process — an unmodified program on a host Baton administers — at the
 * address its connection has moved to, in place: the process keeps its fd and sees only a pause.
 * <pre>
 *   begin()  repair mode on our duplicate of the fd, snapshot        process stopped by the caller
 *   aim()    silent disconnect, rebuild aimed at the new address      still in repair mode: quiet
 *   resume() leave repair, send what the far end lacks               caller continues the process
 * </pre>
 * If {@link #close()} comes before {@link #resume()}, the original connection is rebuilt into the socket
 * (when it was already re-aimed) and resumed: the peer is back where it was. The caller stops the process
 * ({@link ProcessSockets#pause()}) around all of this and holds the flow ({@link FlowHold}) while snapshots
 * are taken.
 */
public final class InPlaceRepoint implements Repoint {
    private final TcpSocket socket;
    private final RepairSession session;
    private final TcpSocketState before;
    private boolean aimed;

    private InPlaceRepoint(TcpSocket socket, RepairSession session, TcpSocketState before) {
        this.socket = socket;
        this.session = session;
        this.before = before;
    }

    /**
     * Puts a peer's socket — our duplicate of its fd, from {@link ProcessSockets#grab} — in repair mode and
     * captures it. The re-point owns the duplicate from here and closes it when it ends.
     */
    public static InPlaceRepoint begin(TcpSocket socket) {
        try {
            RepairSession session = RepairSession.enter(socket);
            try {
                return new InPlaceRepoint(socket, session, session.snapshot());
            } catch (RuntimeException e) {
                session.close();
                throw e;
            }
        } catch (RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** The peer socket's state when it was captured. */
    @Override
    public TcpSocketState before() {
        return before;
    }

    /**
     * Rebuilds the socket aimed at {@code newRemote}, with its send queue trimmed to what the far end lacks
     * ({@code farEndRcvNxt}: the rebuilt far end's receive-queue end, so nothing is re-sent that it has and
     * nothing it lacks waits for a retransmission timer). Stays in repair mode, which keeps it quiet.
     */
    @Override
    public void aim(InetSocketAddress newRemote, long farEndRcvNxt) {
        TcpSocketState target = before.withRemote(newRemote).reconciledWith(farEndRcvNxt);
        session.disconnect();
        aimed = true;
        session.restore(target);
    }

    /** Leaves repair mode and sends the bytes the far end lacks. The fd stays with its process. */
    @Override
    public void resume() {
        session.resume();
        socket.close();
    }

    /** Undoes an unfinished re-point (see class comment); after {@link #resume()} only releases the fd. */
    @Override
    public void close() {
        try {
            if (session.isRepairing() && aimed) {
                session.disconnect();
                session.restore(before);
            }
        } finally {
            try {
                session.close();
            } finally {
                socket.close();
            }
        }
    }
}
