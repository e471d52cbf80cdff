package dev.baton.socket.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/** {@code struct sockaddr_in} / {@code sockaddr_in6} to and from {@link InetSocketAddress}. */
public final class SockAddr {
    public static final int MAX_SIZE = 128; // sizeof(struct sockaddr_storage)
    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final byte[] V4_MAPPED_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};

    private SockAddr() {}

    /** Encodes {@code address} for a socket of {@code family}; IPv4 on an INET6 socket becomes IPv4-mapped. */
    public static MemorySegment encode(Arena arena, int family, InetSocketAddress address) {
        byte[] ip = address.getAddress().getAddress();
        if (family == Libc.AF_INET) {
            if (ip.length != 4) throw new IllegalArgumentException("IPv6 address on an IPv4 socket: " + address);
            MemorySegment sa = arena.allocate(16);
            sa.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_INET);
            sa.set(NET_SHORT, 2, (short) address.getPort());
            MemorySegment.copy(ip, 0, sa, ValueLayout.JAVA_BYTE, 4, 4);
            return sa;
        }
        MemorySegment sa = arena.allocate(28);
        sa.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_INET6);
        sa.set(NET_SHORT, 2, (short) address.getPort());
        if (ip.length == 4) {
            MemorySegment.copy(V4_MAPPED_PREFIX, 0, sa, ValueLayout.JAVA_BYTE, 8, 12);
            MemorySegment.copy(ip, 0, sa, ValueLayout.JAVA_BYTE, 20, 4);
        } else {
            MemorySegment.copy(ip, 0, sa, ValueLayout.JAVA_BYTE, 8, 16);
            if (address.getAddress() instanceof Inet6Address v6 && v6.getScopeId() != 0) {
                sa.set(ValueLayout.JAVA_INT, 24, v6.getScopeId());
            }
        }
        return sa;
    }

    /** {@code sockaddr} with only {@code sa_family = AF_UNSPEC}: connect() to it disconnects a socket. */
    public static MemorySegment unspecified(Arena arena) {
        MemorySegment sa = arena.allocate(16);
        sa.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_UNSPEC);
        return sa;
    }

    public static int family(MemorySegment sa) {
        return sa.get(ValueLayout.JAVA_SHORT, 0);
    }

    public static InetSocketAddress decode(MemorySegment sa) {
        int family = family(sa);
        int port = Short.toUnsignedInt(sa.get(NET_SHORT, 2));
        try {
            if (family == Libc.AF_INET) {
                byte[] ip = sa.asSlice(4, 4).toArray(ValueLayout.JAVA_BYTE);
                return new InetSocketAddress(InetAddress.getByAddress(ip), port);
            }
            if (family == Libc.AF_INET6) {
                byte[] ip = sa.asSlice(8, 16).toArray(ValueLayout.JAVA_BYTE);
                int scope = sa.get(ValueLayout.JAVA_INT, 24);
                // InetAddress.getByAddress turns an IPv4-mapped address into an Inet4Address.
                InetAddress a = scope != 0 ? Inet6Address.getByAddress(null, ip, scope) : InetAddress.getByAddress(ip);
                return new InetSocketAddress(a, port);
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // only thrown for a wrong length, which cannot happen here
        }
        throw new IllegalArgumentException("not an inet socket address, family " + family);
    }

}
