package dev.baton.socket;

/**
 * Counters from the kernel's {@code struct tcp_info} that callers use to follow a stream across a move: the
 * application-level offsets of a stream are {@code bytesAcked + sendQueue} (written) and
 * {@code bytesReceived - receiveQueue} (read), whatever the sequence numbers.
 *
 * @param state         TCP state
 * @param rttMicros     smoothed round-trip time
 * @param rtoMicros     current retransmission timeout
 * @param totalRetrans  segments retransmitted over the connection's life
 * @param bytesAcked    bytes the peer acknowledged (RFC 4898 tcpEStatsAppHCThruOctetsAcked)
 * @param bytesReceived bytes received in order (RFC 4898 tcpEStatsAppHCThruOctetsReceived)
 */
public record TcpInfo(TcpState state, long rttMicros, long rtoMicros, long totalRetrans, long bytesAcked,
                      long bytesReceived) {
}
