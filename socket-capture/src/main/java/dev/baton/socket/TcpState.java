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

    public static TcpState ofCode(int code) {
        for (TcpState s : values()) {
            if (s.code == code) return s;
        }
        throw new IllegalArgumentException("unknown TCP state " + code);
    }
}
