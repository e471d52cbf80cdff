package dev.baton.socket;

import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;
import dev.baton.socket.internal.SockAddr;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;

/**
 * A socket file descriptor in this process: one this JVM owns (a rebuilt socket, or one taken from another
 * process with {@link ProcessSockets#grab}), or one it only borrows (say, a Netty channel's fd).
 * Closing an owned socket closes the fd; closing a borrowed one does nothing.
 */
public final class TcpSocket implements AutoCloseable {
    /** Bytes of struct tcp_info read: through tcpi_bytes_received (offset 128, linux/tcp.h since 4.1). */
    private static final int TCP_INFO_SIZE = 136;
    private final int fd;
    private final boolean owned;
    private volatile boolean closed;

    private TcpSocket(int fd, boolean owned) {
        if (fd < 0) throw new IllegalArgumentException("bad file descriptor " + fd);
        this.fd = fd;
        this.owned = owned;
    }

    /** A new, unconnected TCP socket of {@code family}, in the calling thread's network namespace. */
    static TcpSocket open(Family family) {
        return own(Libc.socket(family == Family.INET ? Libc.AF_INET : Libc.AF_INET6,
                Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0));
    }

    /** Takes ownership of {@code fd}: {@link #close()} closes it. */
    public static TcpSocket own(int fd) {
        return new TcpSocket(fd, true);
    }

    /** Uses {@code fd} without owning it: {@link #close()} leaves it open (its owner closes it). */
    public static TcpSocket borrow(int fd) {
        return new TcpSocket(fd, false);
    }

    public int fd() {
        if (closed) throw new IllegalStateException("socket fd " + fd + " is closed");
        return fd;
    }

    public InetSocketAddress localAddress() {
        return name(true);
    }

    public InetSocketAddress remoteAddress() {
        return name(false);
    }

    private InetSocketAddress name(boolean local) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(SockAddr.MAX_SIZE);
            if (local) Libc.getsockname(fd(), sa);
            else Libc.getpeername(fd(), sa);
            return SockAddr.decode(sa);
        } catch (ErrnoException e) {
            throw SocketCaptureException.of(local ? "getsockname" : "getpeername", e);
        }
    }

    /**
     * The socket's family when it is an inet TCP socket, or {@code null} when it is another kind of socket.
     *
     * @throws ErrnoException ENOTSOCK when the fd is not a socket, EBADF when it is not open
     */
    Family tcpFamily() {
        int domain = Libc.getsockoptInt(fd(), Libc.SOL_SOCKET, Libc.SO_DOMAIN);
        if (domain != Libc.AF_INET && domain != Libc.AF_INET6) return null;
        // An inet socket with protocol TCP is a stream socket: SO_TYPE needs no asking.
        if (Libc.getsockoptInt(fd(), Libc.SOL_SOCKET, Libc.SO_PROTOCOL) != Libc.IPPROTO_TCP) return null;
        return domain == Libc.AF_INET ? Family.INET : Family.INET6;
    }

    /** Reads the kernel's connection counters (TCP_INFO); works in and out of repair mode. */
    public TcpInfo info() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment i = arena.allocate(TCP_INFO_SIZE);
            Libc.getsockopt(fd(), Libc.SOL_TCP, Libc.TCP_INFO, i);
            return new TcpInfo(TcpState.ofCode(Byte.toUnsignedInt(i.get(ValueLayout.JAVA_BYTE, 0))),
                    Integer.toUnsignedLong(i.get(ValueLayout.JAVA_INT, 68)),
                    Integer.toUnsignedLong(i.get(ValueLayout.JAVA_INT, 8)),
                    Integer.toUnsignedLong(i.get(ValueLayout.JAVA_INT, 100)),
                    i.get(ValueLayout.JAVA_LONG, 120), i.get(ValueLayout.JAVA_LONG, 128));
        } catch (ErrnoException e) {
            throw SocketCaptureException.of("reading TCP_INFO of fd " + fd, e);
        }
    }

    /**
     * Puts the socket in blocking or non-blocking mode (O_NONBLOCK, set with FIONBIO). A socket this module
     * creates ({@link SocketCapture#rebuild}) starts blocking; an event loop that adopts its fd needs it
     * non-blocking first — Netty's {@code new EpollSocketChannel(fd)} leaves the mode as it finds it, and a
     * blocking fd would stall the event loop on the first read that finds no data. {@link #channel()} expects
     * blocking mode.
     *
     * @return this socket
     */
    public TcpSocket configureBlocking(boolean block) {
        try {
            Libc.ioctlSetInt(fd(), Libc.FIONBIO, block ? 0 : 1, "FIONBIO");
        } catch (ErrnoException e) {
            throw SocketCaptureException.of("setting O_NONBLOCK on fd " + fd, e);
        }
        return this;
    }

    /**
     * A blocking byte channel over this socket, for code that wants to use a rebuilt socket from plain Java.
     * Closing the channel closes this socket.
     */
    public ByteChannel channel() {
        return new ByteChannel() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                if (closed) throw new ClosedChannelException();
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(Math.max(1, dst.remaining()));
                    long n = Libc.recv(fd, buf, 0);
                    if (n == 0) return -1;
                    dst.put(buf.asSlice(0, n).asByteBuffer());
                    return (int) n;
                } catch (ErrnoException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }

            @Override
            public int write(ByteBuffer src) throws IOException {
                if (closed) throw new ClosedChannelException();
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(Math.max(1, src.remaining()));
                    buf.asByteBuffer().put(src.duplicate());
                    long n = Libc.send(fd, buf.asSlice(0, src.remaining()), Libc.MSG_NOSIGNAL);
                    src.position(src.position() + (int) n);
                    return (int) n;
                } catch (ErrnoException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }

            @Override
            public boolean isOpen() {
                return !closed;
            }

            @Override
            public void close() {
                TcpSocket.this.close();
            }
        };
    }

    /** Closes the fd if this socket owns it. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (owned) Libc.close(fd);
    }

    @Override
    public String toString() {
        return "TcpSocket[fd=" + fd + (owned ? "" : ", borrowed") + (closed ? ", closed" : "") + "]";
    }
}
