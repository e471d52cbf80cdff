package dev.baton.gateway.proxy;

import dev.baton.socket.StateJson;

import java.time.Duration;
import java.time.Instant;

/** A flow as the admin API shows it: the connection table's row. */
public record FlowView(long id, String service, String peer, String upstreamLocal, String upstreamRemote,
                       Flow.State state, boolean peerEnded, boolean upstreamEnded, long bytesUp, long bytesDown,
                       long heldBytes, Instant opened, long ageMs) {
    public static FlowView of(Flow f) {
        return new FlowView(f.id(), f.service().name(), format(f.peer()), format(f.upstreamLocal()),
                format(f.upstreamRemote()), f.state(), f.peerEnded(), f.upstreamEnded(), f.bytesUp(), f.bytesDown(),
                f.heldBytes(), f.opened(), Duration.between(f.opened(), Instant.now()).toMillis());
    }

    private static String format(java.net.InetSocketAddress a) {
        return a == null ? null : StateJson.format(a);
    }
}
