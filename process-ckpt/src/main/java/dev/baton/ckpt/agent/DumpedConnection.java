package dev.baton.ckpt.agent;

import dev.baton.socket.StateJson;
import dev.baton.socket.TcpState;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One TCP connection of a dump, as its images hold it (tcp-stream image): what a component that holds the far end
 * (the gateway) needs between the dump and the restore to rebuild its own socket with exactly what this end lacks.
 * Sequence numbers are unsigned 32-bit values. Listening sockets, and TCP sockets that are not connected, are not
 * connections.
 *
 * @param local  this end's address and port as in the image, before any rewrite
 * @param remote the far end's address and port as in the image
 * @param state  the TCP state at the dump
 * @param rcvNxt the next byte this end expects ({@code inq_seq}): re-send only from here on
 * @param sndNxt the next byte this end would transmit ({@code outq_seq} less the never-sent tail, a sent FIN
 *               counted): the far end's {@code rcv_nxt} once everything sent arrived
 * @param sndUna the first byte the far end has not acknowledged ({@code outq_seq − outq_len}, a queued FIN not
 *               counted): equal to {@code sndNxt} when nothing is in flight
 */
public record DumpedConnection(InetSocketAddress local, InetSocketAddress remote, TcpState state, long rcvNxt,
                               long sndNxt, long sndUna) {
    public DumpedConnection {
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(state, "state");
    }

    /** Whether {@code sync} names this connection. */
    boolean is(SendQueueSync sync) {
        return local.equals(sync.local()) && remote.equals(sync.remote());
    }

    /** "198.18.0.1:7000 -> 198.18.0.3:41234" */
    String describe() {
        return StateJson.format(local) + " -> " + StateJson.format(remote);
    }
}
