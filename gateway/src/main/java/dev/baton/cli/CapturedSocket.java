package dev.baton.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpSocketState;
import dev.baton.socket.TcpState;

/**
 * One row of {@code baton sockets list}: the socket as listed, and its captured state — absent for listening
 * sockets, and replaced by an error message when the capture failed.
 */
record CapturedSocket(SocketEntry entry, TcpSocketState state, String error) {

    static CapturedSocket listening(SocketEntry entry) {
        return new CapturedSocket(entry, null, null);
    }

    /**
     * {@code {fd, inode, ...StateJson.summary(state)}}; listening sockets: fd, local, state only; failed captures:
     * fd, inode, local, remote, state, error.
     */
    ObjectNode toJson(ObjectMapper mapper) {
        ObjectNode n = mapper.createObjectNode();
        n.put("fd", entry.fd());
        if (entry.state() == TcpState.LISTEN) {
            n.put("local", StateJson.format(entry.local()));
            n.put("state", entry.state().name());
            return n;
        }
        n.put("inode", entry.inode());
        if (state != null) return n.setAll(StateJson.summary(state));
        n.put("local", StateJson.format(entry.local()));
        n.put("remote", StateJson.format(entry.remote()));
        n.put("state", entry.state().name());
        n.put("error", error);
        return n;
    }
}
