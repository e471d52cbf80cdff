package dev.baton.socket;

import dev.baton.socket.SocketCaptureException.Reason;
import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;
import dev.baton.socket.internal.SockAddr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.Arrays;

import static dev.baton.socket.internal.Libc.SOL_SOCKET;
import static dev.baton.socket.internal.Libc.SOL_TCP;

/**
 * One TCP socket held in repair mode ({@code TCP_REPAIR}), in the manner of CRIU's libsoccr: {@link #enter}
 * puts the socket in repair mode, {@link #snapshot()} reads its state, {@link #restore} writes a state into it,
 * and one of two ways out ends the session: {@link #resume()} leaves repair mode and lets the connection run,
 * {@link #closeSilently()} closes the socket without a FIN or RST. {@link #close()} resumes if neither was called,
 * so a failure never leaves a socket in repair mode.
 *
 * <p><b>Precondition:</b> repair mode does not silence a socket: it still acknowledges incoming data, processes
 * ACKs (and then transmits) and answers window probes. A snapshot is only consistent, and a capture only
 * lossless, when no packets can reach the socket — hold the flow with a packet filter first. Likewise the
 * process owning the socket must not use it during the session (reads fail with EPERM, writes with EINVAL):
 * stop it first ({@link ProcessSockets#pause()}).
 *
 * <p>Rebuild order (other orders fail in ways that are easy to miss): bind, queue sequence numbers, connect
 * (no SYN in repair mode), options, timestamp clock, receive queue, sent part of the send queue, window, leave
 * repair, then send the unsent part normally. Not thread-safe.
 *
 * <p><b>States:</b> ESTABLISHED and the half-closed states rebuild — FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, CLOSING,
 * LAST_ACK — the way CRIU's libsoccr does it: the connection is restored as ESTABLISHED with the data's sequence
 * numbers; a FIN the peer sent is then injected from the peer's address through a raw IPv4 socket in the calling
 * thread's network namespace, still in repair mode (the socket goes to CLOSE_WAIT, its application reads EOF after
 * the queued bytes); a FIN we sent is sent again by {@code shutdown(SHUT_WR)} on {@link #resume()}, after the
 * unsent tail (a peer that had it acknowledges the duplicate). A received FIN needs IPv4 or IPv4-mapped addresses
 * (native IPv6: UNSUPPORTED_STATE), and no packet filter in that namespace may drop the injected segment on
 * loopback. CLOSING comes back as LAST_ACK (both FINs, ours unacknowledged), which ends the same way without
 * TIME_WAIT. Other states (SYN_SENT, SYN_RECV, CLOSE) are refused with UNSUPPORTED_STATE.
 */
public final class RepairSession implements AutoCloseable {
    private static final int REPAIR_ON = 1, REPAIR_OFF = 0, REPAIR_OFF_NO_WINDOW_PROBE = -1;
    private static final int NO_QUEUE = 0, RECV_QUEUE = 1, SEND_QUEUE = 2;
    private static final int TCPOPT_MSS = 2, TCPOPT_WINDOW = 3, TCPOPT_SACK_PERM = 4, TCPOPT_TIMESTAMP = 8;
    private static final int TCPI_OPT_TIMESTAMPS = 1, TCPI_OPT_SACK = 2, TCPI_OPT_WSCALE = 4;
    private static final int SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33, SO_SNDBUF = 7, SO_RCVBUF = 8;
    /** Linux's initial congestion window: this many segments leave at once after a rebuild. */
    private static final int INITIAL_CWND_SEGMENTS = 10;
    private static final byte[] NOTHING = new byte[0];

    private final TcpSocket socket;
    private final int fd;
    private final Family family;
    private final boolean reuseAddress;
    private boolean repairing;
    private boolean restored;
    private boolean disconnected;
    private byte[] unsentToSend = NOTHING;
    /** Our FIN, restored by a shutdown(SHUT_WR) on resume, after the unsent tail. */
    private boolean finToSend;

    private RepairSession(TcpSocket socket, Family family, boolean reuseAddress) {
        this.socket = socket;
        this.fd = socket.fd();
        this.family = family;
        this.reuseAddress = reuseAddress;
        this.repairing = true;
    }

    /**
     * Checks that {@code socket} is a TCP socket that is not listening and puts it in repair mode.
     *
     * @throws SocketCaptureException NOT_A_SOCKET, NOT_TCP, LISTENING, PERMISSION_DENIED (no CAP_NET_ADMIN in
     *                                the socket's network namespace), KERNEL_UNSUPPORTED (no TCP_REPAIR)
     */
    public static RepairSession enter(TcpSocket socket) {
        int fd = socket.fd();
        Family family;
        boolean reuse;
        try {
            family = checkConnectableTcp(socket);
            reuse = Libc.getsockoptInt(fd, SOL_SOCKET, Libc.SO_REUSEADDR) != 0;
            Libc.setsockoptInt(fd, SOL_TCP, Libc.TCP_REPAIR, REPAIR_ON);
        } catch (ErrnoException e) {
            throw SocketCaptureException.of("entering repair mode on fd " + fd, e);
        }
        return new RepairSession(socket, family, reuse);
    }

    private static Family checkConnectableTcp(TcpSocket socket) {
        Family family = socket.tcpFamily();
        if (family == null) {
            int fd = socket.fd();
            throw new SocketCaptureException(Reason.NOT_TCP, "entering repair mode on fd " + fd,
                    "domain " + Libc.getsockoptInt(fd, SOL_SOCKET, Libc.SO_DOMAIN)
                            + ", type " + Libc.getsockoptInt(fd, SOL_SOCKET, Libc.SO_TYPE)
                            + ", protocol " + Libc.getsockoptInt(fd, SOL_SOCKET, Libc.SO_PROTOCOL));
        }
        if (Libc.getsockoptInt(socket.fd(), SOL_SOCKET, Libc.SO_ACCEPTCONN) != 0) {
            throw new SocketCaptureException(Reason.LISTENING, "entering repair mode on fd " + socket.fd(), null);
        }
        return family;
    }

    /**
     * Rebuilds {@code state} into a new socket in the calling thread's network namespace and leaves it in repair
     * mode, quiet, for the caller to {@link #resume()} when the far end is ready; see {@link #restore}. On
     * failure the half-built socket is closed silently, so the peer sees nothing.
     */
    public static RepairSession rebuild(TcpSocketState state) {
        TcpSocket socket;
        try {
            socket = TcpSocket.open(state.family());
        } catch (ErrnoException e) {
            throw SocketCaptureException.of("creating a socket for " + state.local() + " -> " + state.remote(), e);
        }
        RepairSession session;
        try {
            // Before repair mode, so the rebuilt socket may share its port with a listener (only while it is
            // rebuilt: resume() leaves SO_REUSEADDR off). A socket made here needs none of enter()'s checks.
            Libc.setsockoptInt(socket.fd(), SOL_SOCKET, Libc.SO_REUSEADDR, 1);
            Libc.setsockoptInt(socket.fd(), SOL_TCP, Libc.TCP_REPAIR, REPAIR_ON);
            session = new RepairSession(socket, state.family(), false);
        } catch (ErrnoException e) {
            socket.close();
            throw SocketCaptureException.of("creating a socket for " + state.local() + " -> " + state.remote(), e);
        }
        try {
            session.restore(state);
        } catch (RuntimeException e) {
            session.closeSilently();
            throw e;
        }
        return session;
    }

    public TcpSocket socket() {
        return socket;
    }

    /**
     * Reads the connection's full state. The socket stays in repair mode.
     *
     * @throws SocketCaptureException INCONSISTENT_STATE when a queue changed while it was read (the flow was
     *                                not held)
     */
    public TcpSocketState snapshot() {
        requireRepairing();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(8);
            Libc.getsockopt(fd, SOL_TCP, Libc.TCP_INFO, info);
            TcpState state = TcpState.ofCode(Byte.toUnsignedInt(info.get(ValueLayout.JAVA_BYTE, 0)));
            int opts = Byte.toUnsignedInt(info.get(ValueLayout.JAVA_BYTE, 5));
            int wscale = Byte.toUnsignedInt(info.get(ValueLayout.JAVA_BYTE, 6));

            // Around a FIN (measured on 6.18): our FIN counts in SIOCOUTQ while unacknowledged (FIN_WAIT1, CLOSING,
            // LAST_ACK: outq = data + 1; FIN_WAIT2: 0) and in SIOCOUTQNSD while unsent (queued behind unsent
            // data: data + 1); the send TCP_QUEUE_SEQ (write_seq) is one past it; a peek returns data only.
            // The peer's FIN is never in SIOCINQ (data only), but the receive TCP_QUEUE_SEQ (rcv_nxt) is one past it.
            int finOut = state.finSent() && state != TcpState.FIN_WAIT2 ? 1 : 0;
            int finIn = state.finReceived() ? 1 : 0;
            int outqRaw = Libc.ioctlInt(fd, Libc.SIOCOUTQ, "SIOCOUTQ");
            int unsentRaw = Libc.ioctlInt(fd, Libc.SIOCOUTQNSD, "SIOCOUTQNSD");
            int outq = Math.max(0, outqRaw - finOut);
            int unsent = Math.max(0, unsentRaw - (unsentRaw > 0 ? finOut : 0));
            int inq = Libc.ioctlInt(fd, Libc.SIOCINQ, "SIOCINQ");
            int mssClamp = Libc.getsockoptInt(fd, SOL_TCP, Libc.TCP_MAXSEG); // mss_clamp in repair mode
            boolean timestamps = (opts & TCPI_OPT_TIMESTAMPS) != 0;
            Long timestamp = timestamps ? u32(Libc.getsockoptInt(fd, SOL_TCP, Libc.TCP_TIMESTAMP)) : null;
            RepairWindow window = readWindow(arena);

            selectQueue(RECV_QUEUE);
            long rcvNxt = Seq.add(u32(Libc.getsockoptInt(fd, SOL_TCP, Libc.TCP_QUEUE_SEQ)), -finIn);
            byte[] received = peekQueue(arena, inq, "receive");
            selectQueue(SEND_QUEUE);
            long writeSeq = Seq.add(u32(Libc.getsockoptInt(fd, SOL_TCP, Libc.TCP_QUEUE_SEQ)), state.finSent() ? -1 : 0);
            byte[] sendBytes = peekQueue(arena, outq, "send");
            selectQueue(NO_QUEUE);

            int unacked = outq - unsent;
            TcpOptions options = new TcpOptions(mssClamp, (opts & TCPI_OPT_SACK) != 0, timestamps,
                    (opts & TCPI_OPT_WSCALE) != 0 ? new TcpOptions.WindowScale(wscale & 0xF, wscale >> 4) : null);
            return new TcpSocketState(TcpSocketState.FORMAT_VERSION, family, socket.localAddress(),
                    socket.remoteAddress(), state,
                    new ReceiveQueue(Seq.add(rcvNxt, -inq), received),
                    new SendQueue(Seq.add(writeSeq, -outq), Arrays.copyOfRange(sendBytes, 0, unacked),
                            Arrays.copyOfRange(sendBytes, unacked, outq)),
                    options, timestamp, window);
        } catch (ErrnoException e) {
            throw SocketCaptureException.of("capturing fd " + fd, e);
        }
    }

    private RepairWindow readWindow(Arena arena) {
        MemorySegment w = arena.allocate(20);
        try {
            Libc.getsockopt(fd, SOL_TCP, Libc.TCP_REPAIR_WINDOW, w);
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENOPROTOOPT) return null; // kernel < 4.8: recorded as absent
            throw e;
        }
        return new RepairWindow(u32(w.get(ValueLayout.JAVA_INT, 0)), u32(w.get(ValueLayout.JAVA_INT, 4)),
                u32(w.get(ValueLayout.JAVA_INT, 8)), u32(w.get(ValueLayout.JAVA_INT, 12)),
                u32(w.get(ValueLayout.JAVA_INT, 16)));
    }

    private byte[] peekQueue(Arena arena, int expected, String name) {
        if (expected == 0) return NOTHING;
        // One byte more than expected, so that a queue that grew is noticed.
        MemorySegment buf = arena.allocate(expected + 1L);
        long n = Libc.recv(fd, buf, Libc.MSG_PEEK | Libc.MSG_DONTWAIT);
        if (n != expected) {
            throw new SocketCaptureException(Reason.INCONSISTENT_STATE, "capturing fd " + fd,
                    "the " + name + " queue held " + n + " bytes, " + expected + " expected: packets reached the "
                            + "socket during the capture (hold the flow first)");
        }
        return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
    }

    /**
     * Disconnects the socket silently ({@code connect(AF_UNSPEC)} in repair mode: no FIN, no RST), so that
     * {@link #restore} can rebuild a different connection into the same socket — the same fd, which its owning
     * process keeps using.
     */
    public void disconnect() {
        requireRepairing();
        try (Arena arena = Arena.ofConfined()) {
            Libc.connect(fd, SockAddr.unspecified(arena));
            disconnected = true;
            restored = false;
            unsentToSend = NOTHING;
            finToSend = false;
        } catch (ErrnoException e) {
            throw SocketCaptureException.of("disconnecting fd " + fd, e);
        }
    }

    /**
     * Rebuilds {@code state} into this socket, which must be new or {@linkplain #disconnect() disconnected}. The
     * socket stays in repair mode; {@link #resume()} starts it. Binds the local address unless the socket still
     * holds its port (an accepted socket keeps it across a disconnect; a connected one does not), with
     * IP_FREEBIND and IP_TRANSPARENT only when this host does not have the address.
     *
     * <p>The send queue is rebuilt so that the connection resumes at once: bytes marked unsent are sent on
     * resume; of the unacknowledged bytes, the last {@value #INITIAL_CWND_SEGMENTS} segments' worth are resent
     * on resume too (one initial congestion window, so the peer's ACK for them is never beyond our send
     * pointer), the rest wait for retransmission. A state {@linkplain TcpSocketState#reconciledWith reconciled}
     * with the peer has no unacknowledged bytes and resumes entirely at once.
     *
     * <p>Half-closed states (see the class comment): the peer's FIN is injected here, before this returns (the
     * state is then CLOSE_WAIT); our FIN is sent by {@link #resume()}.
     *
     * @throws SocketCaptureException UNSUPPORTED_STATE, ADDRESS_IN_USE, ADDRESS_UNAVAILABLE, FAILED
     */
    public void restore(TcpSocketState state) {
        requireRepairing();
        if (restored) throw new IllegalStateException("state already restored into fd " + fd);
        if (!state.state().rebuildable()) {
            throw new SocketCaptureException(Reason.UNSUPPORTED_STATE, "rebuilding fd " + fd,
                    "state is " + state.state() + " (ESTABLISHED, FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, CLOSING and "
                            + "LAST_ACK rebuild)");
        }
        if (state.state().finReceived() && !(state.local().getAddress() instanceof Inet4Address
                && state.remote().getAddress() instanceof Inet4Address)) {
            throw new SocketCaptureException(Reason.UNSUPPORTED_STATE, "rebuilding fd " + fd,
                    "state is " + state.state() + " over native IPv6: the peer's FIN is re-injected over IPv4 only "
                            + "(IPv4 and IPv4-mapped addresses)");
        }
        if (state.family() != family) {
            throw new SocketCaptureException(Reason.INCONSISTENT_STATE, "rebuilding fd " + fd,
                    "state is " + state.family() + ", socket is " + family);
        }
        int nativeFamily = family == Family.INET ? Libc.AF_INET : Libc.AF_INET6;
        byte[] unacked = state.sendQueue().unackedRef();
        int resendNow = Math.min(unacked.length, INITIAL_CWND_SEGMENTS * state.options().mssClamp());
        int keepSent = unacked.length - resendNow;
        byte[] received = state.receiveQueue().dataRef();
        byte[] unsent = state.sendQueue().unsentRef();
        try (Arena arena = Arena.ofConfined()) {
            bindLocal(arena, nativeFamily, state.local());
            ensureBuffers(received.length, unacked.length + unsent.length);
            selectQueue(RECV_QUEUE);
            setU32(arena, Libc.TCP_QUEUE_SEQ, state.receiveQueue().seq());
            selectQueue(SEND_QUEUE);
            setU32(arena, Libc.TCP_QUEUE_SEQ, state.sendQueue().seq());
            connect(arena, nativeFamily, state);
            Libc.setsockopt(fd, SOL_TCP, Libc.TCP_REPAIR_OPTIONS, repairOptions(arena, state.options()));
            if (state.timestamp() != null) setU32(arena, Libc.TCP_TIMESTAMP, state.timestamp());
            selectQueue(RECV_QUEUE);
            writeAll(arena, received, 0, received.length);
            selectQueue(SEND_QUEUE);
            writeAll(arena, unacked, 0, keepSent);
            if (state.window() != null) {
                Libc.setsockopt(fd, SOL_TCP, Libc.TCP_REPAIR_WINDOW,
                        window(arena, state.window(), state.receiveQueue().endSeq()));
            }
            selectQueue(NO_QUEUE);
            if (disconnected) Libc.getsockoptInt(fd, SOL_SOCKET, Libc.SO_ERROR); // clears the disconnect's ECONNABORTED
            if (state.state().finReceived()) FinInjection.deliverPeerFin(socket, state);
        } catch (ErrnoException e) {
            throw SocketCaptureException.of("rebuilding " + state.local() + " -> " + state.remote() + " into fd " + fd, e);
        }
        byte[] toSend = new byte[resendNow + unsent.length];
        System.arraycopy(unacked, keepSent, toSend, 0, resendNow);
        System.arraycopy(unsent, 0, toSend, resendNow, unsent.length);
        unsentToSend = toSend;
        finToSend = state.state().finSent();
        restored = true;
    }

    /** connect() in repair mode: no SYN, the socket becomes ESTABLISHED at once. */
    private void connect(Arena arena, int nativeFamily, TcpSocketState state) {
        try {
            Libc.connect(fd, SockAddr.encode(arena, nativeFamily, state.remote()));
        } catch (ErrnoException e) {
            // The port is bound already, so the kernel only checks that the 4-tuple is free, and says
            // EADDRNOTAVAIL when it is not (EADDRINUSE is bind's word for it).
            if (e.errno() != Libc.EADDRNOTAVAIL) throw e;
            throw SocketCaptureException.of(Reason.ADDRESS_IN_USE, "rebuilding " + state.local() + " -> "
                    + state.remote() + " into fd " + fd, "another socket in this network namespace has that 4-tuple", e);
        }
    }

    private void bindLocal(Arena arena, int nativeFamily, InetSocketAddress local) {
        MemorySegment sa = SockAddr.encode(arena, nativeFamily, local);
        try {
            Libc.bind(fd, sa);
        } catch (ErrnoException e) {
            if (stillBound(e, local)) return;
            if (e.errno() != Libc.EADDRNOTAVAIL) throw e;
            // The address is not on this host (it moved, or comes later): bind it anyway (FREEBIND), and let the
            // route lookup of connect() accept a source address that is not local (TRANSPARENT; without it,
            // connect fails with ENETUNREACH).
            if (nativeFamily == Libc.AF_INET) {
                Libc.setsockoptInt(fd, Libc.SOL_IP, Libc.IP_FREEBIND, 1);
                Libc.setsockoptInt(fd, Libc.SOL_IP, Libc.IP_TRANSPARENT, 1);
            } else {
                Libc.setsockoptInt(fd, Libc.SOL_IPV6, Libc.IPV6_FREEBIND, 1);
                Libc.setsockoptInt(fd, Libc.SOL_IPV6, Libc.IPV6_TRANSPARENT, 1);
            }
            try {
                Libc.bind(fd, sa);
            } catch (ErrnoException again) {
                if (!stillBound(again, local)) throw again;
            }
        }
    }

    /**
     * EINVAL from bind on a disconnected socket: it is still bound. A disconnected socket keeps its port when its
     * owner bound it (an accepted socket inherits that from its listener), but a socket that connect() bound
     * implicitly loses it — getsockname still shows the old port then, so only bind itself can tell the two apart.
     */
    private boolean stillBound(ErrnoException e, InetSocketAddress local) {
        return e.errno() == Libc.EINVAL && disconnected && socket.localAddress().getPort() == local.getPort();
    }

    /** Large queues do not fit the default buffers; a blocked repair-mode write would never return. */
    private void ensureBuffers(int receiveBytes, int sendBytes) {
        growBuffer(SO_RCVBUF, SO_RCVBUFFORCE, receiveBytes);
        growBuffer(SO_SNDBUF, SO_SNDBUFFORCE, sendBytes);
    }

    private void growBuffer(int option, int forceOption, int bytes) {
        if (bytes == 0) return;
        long needed = 2L * bytes + (256 << 10); // room for per-segment overhead
        if (Libc.getsockoptInt(fd, SOL_SOCKET, option) < needed) {
            Libc.setsockoptInt(fd, SOL_SOCKET, forceOption, (int) Math.min(Integer.MAX_VALUE / 2, needed));
        }
    }

    private MemorySegment repairOptions(Arena arena, TcpOptions o) {
        int n = 1 + (o.sack() ? 1 : 0) + (o.windowScale() != null ? 1 : 0) + (o.timestamps() ? 1 : 0);
        MemorySegment opts = arena.allocate(8L * n);
        int i = 0;
        if (o.sack()) i = putOption(opts, i, TCPOPT_SACK_PERM, 0);
        if (o.windowScale() != null) {
            i = putOption(opts, i, TCPOPT_WINDOW, o.windowScale().send() | o.windowScale().receive() << 16);
        }
        if (o.timestamps()) i = putOption(opts, i, TCPOPT_TIMESTAMP, 0);
        putOption(opts, i, TCPOPT_MSS, o.mssClamp());
        return opts;
    }

    private static int putOption(MemorySegment opts, int index, int code, int value) {
        opts.set(ValueLayout.JAVA_INT, 8L * index, code);
        opts.set(ValueLayout.JAVA_INT, 8L * index + 4, value);
        return index + 1;
    }

    /**
     * The repair window, with {@code rcv_wup} no later than {@code rcvNxt}: the kernel refuses one beyond it
     * (EINVAL), and after the peer's FIN was acknowledged {@code rcv_wup} counts the FIN, which the rebuilt receive
     * queue does not (the FIN is injected afterwards and moves it on).
     */
    private static MemorySegment window(Arena arena, RepairWindow w, long rcvNxt) {
        long rcvWup = Seq.after(w.rcvWup(), rcvNxt) ? rcvNxt : w.rcvWup();
        MemorySegment s = arena.allocate(20);
        s.set(ValueLayout.JAVA_INT, 0, (int) w.sndWl1());
        s.set(ValueLayout.JAVA_INT, 4, (int) w.sndWnd());
        s.set(ValueLayout.JAVA_INT, 8, (int) w.maxWindow());
        s.set(ValueLayout.JAVA_INT, 12, (int) w.rcvWnd());
        s.set(ValueLayout.JAVA_INT, 16, (int) rcvWup);
        return s;
    }

    /**
     * Leaves repair mode and lets the connection run: the kernel sends a window probe (so the peer answers with
     * its current ACK and window at once) and the bytes to send on resume (see {@link #restore}) are queued
     * with an ordinary send, followed by our FIN when the restored state had sent one. Ends the session.
     */
    public void resume() {
        leaveRepair(restored ? REPAIR_OFF : REPAIR_OFF_NO_WINDOW_PROBE);
        sendUnsentTail(); // if it fails, no FIN: a FIN after a lost tail would truncate the stream silently
        if (finToSend) sendFin();
    }

    /**
     * Our FIN, after the last data byte: sent at once (or after the unsent tail). A peer that already had it
     * (FIN_WAIT2, CLOSING) answers the duplicate with an ACK. Done out of repair mode: in repair mode the FIN would
     * be queued as already transmitted and only the retransmission timer would send it.
     */
    private void sendFin() {
        finToSend = false;
        try {
            Libc.shutdown(fd, Libc.SHUT_WR);
        } catch (ErrnoException e) {
            throw SocketCaptureException.of("sending the restored FIN on fd " + fd, e);
        }
    }

    private void sendUnsentTail() {
        if (unsentToSend.length == 0) return;
        try (Arena arena = Arena.ofConfined()) {
            // A non-blocking send refuses more than tcp_notsent_lowat unsent bytes (EAGAIN): lift the limit
            // while the tail is queued, then give the owner back its own setting (0: the namespace's sysctl).
            int lowat = Libc.getsockoptInt(fd, SOL_TCP, Libc.TCP_NOTSENT_LOWAT);
            Libc.setsockoptInt(fd, SOL_TCP, Libc.TCP_NOTSENT_LOWAT, Integer.MAX_VALUE);
            try {
                writeAll(arena, unsentToSend, 0, unsentToSend.length);
            } finally {
                Libc.setsockoptInt(fd, SOL_TCP, Libc.TCP_NOTSENT_LOWAT, lowat);
            }
        } catch (ErrnoException e) {
            throw SocketCaptureException.of("sending the unsent tail on fd " + fd, e);
        } finally {
            unsentToSend = NOTHING;
        }
    }

    /**
     * Closes the socket while still in repair mode, which sends nothing to the peer (no FIN, no RST): the
     * connection lives on in whatever was rebuilt from the snapshot. Ends the session.
     */
    public void closeSilently() {
        requireRepairing();
        repairing = false;
        socket.close();
    }

    /** Ends the session: {@link #resume()} unless it already ended. Idempotent. */
    @Override
    public void close() {
        if (repairing) resume();
    }

    public boolean isRepairing() {
        return repairing;
    }

    private void leaveRepair(int mode) {
        requireRepairing();
        repairing = false;
        try {
            Libc.setsockoptInt(fd, SOL_TCP, Libc.TCP_REPAIR, mode);
            // Leaving repair mode resets SO_REUSEADDR; give the owner back what it had.
            if (reuseAddress) Libc.setsockoptInt(fd, SOL_SOCKET, Libc.SO_REUSEADDR, 1);
        } catch (ErrnoException e) {
            throw SocketCaptureException.of("leaving repair mode on fd " + fd, e);
        }
    }

    private void selectQueue(int queue) {
        Libc.setsockoptInt(fd, SOL_TCP, Libc.TCP_REPAIR_QUEUE, queue);
    }

    private void setU32(Arena arena, int option, long value) {
        Libc.setsockopt(fd, SOL_TCP, option, arena.allocateFrom(ValueLayout.JAVA_INT, (int) value));
    }

    /** Writes {@code bytes[from, to)}: into the selected queue in repair mode, to the peer otherwise. */
    private void writeAll(Arena arena, byte[] bytes, int from, int to) {
        if (to <= from) return;
        MemorySegment buf = arena.allocate(to - from);
        MemorySegment.copy(bytes, from, buf, ValueLayout.JAVA_BYTE, 0, to - from);
        long off = 0;
        while (off < buf.byteSize()) {
            off += Libc.send(fd, buf.asSlice(off), Libc.MSG_NOSIGNAL | Libc.MSG_DONTWAIT);
        }
    }

    private void requireRepairing() {
        if (!repairing) throw new IllegalStateException("repair session on fd " + fd + " has ended");
    }

    private static long u32(int v) {
        return Integer.toUnsignedLong(v);
    }
}
