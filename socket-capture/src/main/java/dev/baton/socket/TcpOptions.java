package dev.baton.socket;

/**
 * The TCP options negotiated at connection setup; a rebuilt socket must use the same ones or the peer
 * misreads windows and drops segments.
 *
 * @param mssClamp    the MSS clamp (what {@code TCP_MAXSEG} reads in repair mode)
 * @param sack        selective acknowledgements permitted
 * @param timestamps  timestamps in use (then {@link TcpSocketState#timestamp()} holds the clock)
 * @param windowScale the scale shifts, or {@code null} when window scaling was not negotiated
 */
public record TcpOptions(int mssClamp, boolean sack, boolean timestamps, WindowScale windowScale) {

    /** Window scale shifts: {@code send} applies to windows the peer advertises, {@code receive} to ours. */
    public record WindowScale(int send, int receive) {
        public WindowScale {
            if (send < 0 || send > 14 || receive < 0 || receive > 14) {
                throw new IllegalArgumentException("window scale out of range 0..14: " + send + "/" + receive);
            }
        }
    }

    public TcpOptions {
        if (mssClamp <= 0 || mssClamp > 65535) throw new IllegalArgumentException("MSS clamp out of range: " + mssClamp);
    }
}
