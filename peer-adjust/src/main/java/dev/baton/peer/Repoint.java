package dev.baton.peer;

import dev.baton.socket.TcpSocketState;

import java.net.InetSocketAddress;

/**
 * The near end of one connection, made to follow its far end to a new address. One shape for every strategy:
 * <pre>
 *   begin    repair mode on the near end, snapshot (the caller holds the flow and keeps the socket's owner still)
 *   aim      rebuild the connection aimed at the far end's new address, quiet (repair mode) until resume;
 *            may be called again (e.g. back at the old address when the move is rolled back)
 *   resume   leave repair mode, send what the far end lacks
 * </pre>
 * Strategies: {@link InPlaceRepoint} fixes a peer process's own socket in place (the process keeps its fd);
 * {@link SocketRebuild} replaces a socket this process owns (the gateway's workload-side socket) by a new one
 * that the caller adopts. Kernel address rewriting without a proxy is to come beside them.
 */
public interface Repoint extends AutoCloseable {
    /** The connection as it was when captured. */
    TcpSocketState before();

    /**
     * Aims the connection at {@code newRemote}, the far end having received everything up to
     * {@code farEndRcvNxt}: what it lacks is re-queued to be sent at once on resume, nothing it has is sent again.
     */
    void aim(InetSocketAddress newRemote, long farEndRcvNxt);

    /** Lets the connection run at the address it was last aimed at. */
    void resume();

    /** Ends an unfinished re-point (see each strategy for what stays behind); after {@link #resume()} a no-op. */
    @Override
    void close();
}
