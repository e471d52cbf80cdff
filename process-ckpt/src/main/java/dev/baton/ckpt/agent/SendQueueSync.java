package dev.baton.ckpt.agent;

import dev.baton.socket.StateJson;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What the far end of one connection of a kept dump has received: before the dump is sealed, the image's send
 * queue is trimmed to it and the rest marked unsent, so the restored socket sends what the far end lacks at once
 * instead of after its retransmission timer, and never re-sends as new data what the far end has (which can wedge
 * the connection). The far end's {@code rcv_nxt} must be read while the connection is held, after the dump.
 *
 * @param local        the connection's local end as in the dump's image (see {@link DumpedConnection#local()})
 * @param remote       its remote end as in the image
 * @param farEndRcvNxt the far end's {@code rcv_nxt}, unsigned 32-bit: it has every byte before it
 */
public record SendQueueSync(InetSocketAddress local, InetSocketAddress remote, long farEndRcvNxt) {
    public SendQueueSync {
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(remote, "remote");
        if (farEndRcvNxt < 0 || farEndRcvNxt > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("farEndRcvNxt is not an unsigned 32-bit value: " + farEndRcvNxt);
        }
    }

    /** "198.18.0.1:7000 -> 198.18.0.3:41234" */
    public String describe() {
        return StateJson.format(local) + " -> " + StateJson.format(remote);
    }
}
