package dev.baton.socket;

import dev.baton.socket.SocketCaptureException.Reason;
import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;
import dev.baton.socket.internal.SockAddr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Re-creates the peer's FIN in a rebuilt socket, as CRIU's libsoccr does: the kernel has no repair option for
 * "FIN received", so a FIN|ACK segment from the peer's address:port is sent to the socket through a raw IPv4 socket
 * in the calling thread's network namespace (the local address routes over loopback) and the stack processes it
 * like any other: CLOSE_WAIT, and the application reads EOF after the queued bytes.
 *
 * <p>The segment: seq = the FIN's sequence number ({@code receiveQueue().endSeq()}), ack = our {@code snd_una}
 * ({@code sendQueue().seq()}), the peer's last window (unscaled with its window scale), and no TCP options. Without
 * a timestamp option there is no PAWS check and {@code ts_recent} is not touched (measured on 6.18: accepted with
 * timestamps negotiated; a restored socket's {@code ts_recent} is 0 anyway, so the peer's next segment sets it).
 */
final class FinInjection {
    private static final int IP_HEADER = 20, TCP_HEADER = 20;
    private static final int FIN = 0x01, ACK = 0x10;
    private static final long WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private FinInjection() {}

    static void deliverPeerFin(TcpSocket socket, TcpSocketState state) {
        String step = "injecting the peer's FIN into " + state.local() + " -> " + state.remote();
        byte[] segment = segment(state);
        int raw;
        try {
            raw = Libc.socket(Libc.AF_INET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.IPPROTO_RAW);
        } catch (ErrnoException e) {
            throw SocketCaptureException.of(step + " (raw socket)", e);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_BYTE, segment);
            Libc.sendto(raw, buf, 0, SockAddr.encode(arena, Libc.AF_INET,
                    new InetSocketAddress(state.local().getAddress(), 0)));
        } catch (ErrnoException e) {
            throw SocketCaptureException.of(step, e);
        } finally {
            Libc.close(raw);
        }
        // Loopback delivery normally completes inside sendto (softirq on the sending CPU); wait a little if not.
        long deadline = System.nanoTime() + WAIT_NANOS;
        TcpState now;
        while ((now = socket.info().state()) != TcpState.CLOSE_WAIT) {
            if (System.nanoTime() > deadline) {
                throw new SocketCaptureException(Reason.FAILED, step, "the socket did not take the FIN (state "
                        + now + "): is the calling thread in the socket's network namespace, and the local address"
                        + " on this host?");
            }
            Thread.onSpinWait();
        }
    }

    /** IPv4 header + TCP header of the peer's FIN|ACK, checksums filled. */
    static byte[] segment(TcpSocketState state) {
        byte[] src = state.remote().getAddress().getAddress();
        byte[] dst = state.local().getAddress().getAddress();
        ByteBuffer b = ByteBuffer.allocate(IP_HEADER + TCP_HEADER); // big-endian
        b.put((byte) 0x45).put((byte) 0).putShort((short) (IP_HEADER + TCP_HEADER)).putShort((short) 0)
                .putShort((short) 0x4000).put((byte) 64).put((byte) Libc.IPPROTO_TCP).putShort((short) 0)
                .put(src).put(dst);
        b.putShort(10, checksum(b.array(), 0, IP_HEADER, 0));
        b.position(IP_HEADER);
        b.putShort((short) state.remote().getPort()).putShort((short) state.local().getPort())
                .putInt((int) state.receiveQueue().endSeq()).putInt((int) state.sendQueue().seq())
                .put((byte) ((TCP_HEADER / 4) << 4)).put((byte) (FIN | ACK)).putShort((short) window(state))
                .putShort((short) 0).putShort((short) 0);
        long pseudo = sum(src, 0, 4) + sum(dst, 0, 4) + Libc.IPPROTO_TCP + TCP_HEADER;
        b.putShort(IP_HEADER + 16, checksum(b.array(), IP_HEADER, TCP_HEADER, pseudo));
        return b.array();
    }

    /** The peer's last advertised window as it would appear in its header (scaled down by its shift). */
    private static int window(TcpSocketState state) {
        if (state.window() == null) return 0xFFFF;
        int shift = state.options().windowScale() != null ? state.options().windowScale().send() : 0;
        return (int) Math.min(0xFFFF, state.window().sndWnd() >> shift);
    }

    private static long sum(byte[] b, int off, int len) {
        long s = 0;
        for (int i = 0; i < len; i += 2) {
            s += ((b[off + i] & 0xFF) << 8) | (i + 1 < len ? b[off + i + 1] & 0xFF : 0);
        }
        return s;
    }

    private static short checksum(byte[] b, int off, int len, long initial) {
        long s = initial + sum(b, off, len);
        while ((s >> 16) != 0) s = (s & 0xFFFF) + (s >> 16);
        return (short) ~s;
    }
}
