package dev.baton.socket;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Everything about one TCP connection that is needed to rebuild it elsewhere: the 4-tuple, the sequence
 * numbers and both queues, the negotiated options, the window and the timestamp clock. Immutable; produced by
 * {@link RepairSession#snapshot()} and consumed by {@link RepairSession#restore} and {@link SocketCapture#rebuild}.
 * Its JSON form ({@link StateJson}) is stable and versioned by {@link #formatVersion()}.
 *
 * <p>The queues hold data only. FINs follow from {@link #state()}: one we sent ({@link TcpState#finSent()}:
 * FIN_WAIT1, FIN_WAIT2, CLOSING, LAST_ACK) has sequence number {@code sendQueue().endSeq()}; one the peer sent
 * ({@link TcpState#finReceived()}: CLOSE_WAIT, LAST_ACK, CLOSING) has {@code receiveQueue().endSeq()}. States that
 * rebuild: ESTABLISHED and those five ({@link TcpState#rebuildable()}); a received FIN only over IPv4 or
 * IPv4-mapped addresses.
 *
 * <p>Optional parts are {@code null} when absent: {@link #timestamp()} when the connection does not use TCP
 * timestamps, {@link #window()} when the kernel could not report it.
 *
 * @param formatVersion {@link #FORMAT_VERSION} for states this code produces
 * @param family        the socket's address family
 * @param local         local address and port
 * @param remote        peer address and port
 * @param state         TCP state when captured
 * @param receiveQueue  received, acknowledged, unread bytes (never the peer's FIN)
 * @param sendQueue     written, unacknowledged bytes (sent and unsent; never our FIN)
 * @param options       negotiated options
 * @param timestamp     the connection's TCP timestamp clock ({@code TCP_TIMESTAMP}), unsigned 32-bit
 * @param window        the repair window
 */
public record TcpSocketState(
        int formatVersion,
        Family family,
        InetSocketAddress local,
        InetSocketAddress remote,
        TcpState state,
        ReceiveQueue receiveQueue,
        SendQueue sendQueue,
        TcpOptions options,
        Long timestamp,
        RepairWindow window) {

    public static final int FORMAT_VERSION = 1;

    public TcpSocketState {
        if (formatVersion != FORMAT_VERSION) {
            throw new IllegalArgumentException("unsupported socket state format version " + formatVersion
                    + " (this Baton reads version " + FORMAT_VERSION + ")");
        }
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(receiveQueue, "receiveQueue");
        Objects.requireNonNull(sendQueue, "sendQueue");
        Objects.requireNonNull(options, "options");
        if (family == Family.INET && !(local.getAddress() instanceof Inet4Address
                && remote.getAddress() instanceof Inet4Address)) {
            throw new IllegalArgumentException("an INET socket needs IPv4 addresses: " + local + " -> " + remote);
        }
        if (options.timestamps() != (timestamp != null)) {
            throw new IllegalArgumentException("timestamp clock must be present exactly when timestamps are on");
        }
        if (timestamp != null) Seq.requireU32(timestamp, "timestamp");
    }

    /** This state with another local address, for rebuilding on a host with a different IP. */
    public TcpSocketState withLocal(InetSocketAddress newLocal) {
        return new TcpSocketState(formatVersion, family, newLocal, remote, state, receiveQueue, sendQueue, options,
                timestamp, window);
    }

    /** This state aimed at another peer address, for re-pointing a socket at a moved peer. */
    public TcpSocketState withRemote(InetSocketAddress newRemote) {
        return new TcpSocketState(formatVersion, family, local, newRemote, state, receiveQueue, sendQueue, options,
                timestamp, window);
    }

    /**
     * This state with the send queue trimmed to what the peer lacks, all of it to be sent at once: see
     * {@link SendQueue#trimmedTo(long)}. {@code peerRcvNxt} is the peer socket's receive-queue end
     * ({@code peer.receiveQueue().endSeq()}), captured while the connection was quiet. When we sent a FIN
     * ({@link TcpState#finSent()}) the peer's {@code rcv_nxt} may include it — one past the send queue's end
     * (say, its kernel {@code rcv_nxt}) — and is accepted as the end of the data.
     */
    public TcpSocketState reconciledWith(long peerRcvNxt) {
        long dataEnd = state.finSent() && peerRcvNxt == Seq.add(sendQueue.endSeq(), 1) ? sendQueue.endSeq() : peerRcvNxt;
        return new TcpSocketState(formatVersion, family, local, remote, state, receiveQueue,
                sendQueue.trimmedTo(dataEnd), options, timestamp, window);
    }
}
