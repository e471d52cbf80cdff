package dev.baton.socket.audit;

/** Which way a TCP segment travels, seen from the peer: the end that keeps its address while the other moves. */
public enum Direction {
    /** Destination is the peer, whatever the source address (host A before the migration, host B after). */
    TO_PEER("to peer"),
    /** Source is the peer. */
    FROM_PEER("from peer");

    private final String label;

    Direction(String label) {
        this.label = label;
    }

    /** "to peer" or "from peer", as used in {@link WireReport#summary()}. */
    public String label() {
        return label;
    }
}
