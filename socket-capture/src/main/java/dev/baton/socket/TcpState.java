package dev.baton.socket;

/** The kernel's TCP states, in the kernel's numbering ({@code include/net/tcp_states.h}). */
public enum TcpState {
    ESTABLISHED(1), SYN_SENT(2), SYN_RECV(3), FIN_WAIT1(4), FIN_WAIT2(5), TIME_WAIT(6), CLOSE(7), CLOSE_WAIT(8),
    LAST_ACK(9), LISTEN(10), CLOSING(11), NEW_SYN_RECV(12);

    private final int code;

    TcpState(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /**
     * True when this end has sent its FIN (FIN_WAIT1, FIN_WAIT2, CLOSING, LAST_ACK). A {@link TcpSocketState}'s
     * send queue never includes that FIN: it ends at {@code sendQueue().endSeq()}, the FIN's sequence number.
     */
    public boolean finSent() {
        return this == FIN_WAIT1 || this == FIN_WAIT2 || this == CLOSING || this == LAST_ACK;
    }

    /**
     * True when the peer's FIN has been received (CLOSE_WAIT, LAST_ACK, CLOSING). A {@link TcpSocketState}'s
     * receive queue never includes that FIN: it sits at {@code receiveQueue().endSeq()}.
     */
    public boolean finReceived() {
        return this == CLOSE_WAIT || this == LAST_ACK || this == CLOSING;
    }

    /** The states {@link RepairSession#restore} rebuilds: ESTABLISHED and the half-closed ones. */
    public boolean rebuildable() {
        return this == ESTABLISHED || finSent() || finReceived();
    }

    public static TcpState ofCode(int code) {
        for (TcpState s : values()) {
            if (s.code == code) return s;
        }
        throw new IllegalArgumentException("unknown TCP state " + code);
    }
}
