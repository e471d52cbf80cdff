package dev.baton.ckpt.image;

/**
 * What reconciling a tcp-stream image with the peer's {@code rcv_nxt} changed. Sequence numbers are unsigned
 * 32-bit values.
 *
 * @param sndUnaBefore  the first unacknowledged byte in the dump
 * @param sndUnaAfter   the peer's {@code rcv_nxt}: where the restored send queue now starts
 * @param droppedBytes  bytes the peer already had, removed from the send queue
 * @param unackedBefore bytes the dump held as sent but unacknowledged (they would have waited for a retransmission)
 * @param unsentAfter   bytes the restored socket sends as new data right away
 */
public record SendQueueTrim(long sndUnaBefore, long sndUnaAfter, long droppedBytes, long unackedBefore,
                            long unsentAfter) {}
