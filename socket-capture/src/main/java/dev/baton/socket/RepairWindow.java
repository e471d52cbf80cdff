package dev.baton.socket;

/**
 * The window state {@code TCP_REPAIR_WINDOW} reads and writes; all values unsigned 32-bit.
 *
 * @param sndWl1    sequence number of the segment that last updated the send window
 * @param sndWnd    the peer's advertised window
 * @param maxWindow the largest window the peer has advertised
 * @param rcvWnd    our advertised window
 * @param rcvWup    {@code rcv_nxt} when our window was last advertised
 */
public record RepairWindow(long sndWl1, long sndWnd, long maxWindow, long rcvWnd, long rcvWup) {
    public RepairWindow {
        Seq.requireU32(sndWl1, "sndWl1");
        Seq.requireU32(sndWnd, "sndWnd");
        Seq.requireU32(maxWindow, "maxWindow");
        Seq.requireU32(rcvWnd, "rcvWnd");
        Seq.requireU32(rcvWup, "rcvWup");
    }
}
