package dev.baton.socket;

import dev.baton.netns.NetnsLab;
import dev.baton.netns.NetnsLab.Host;
import dev.baton.socket.audit.WireAudit;
import dev.baton.socket.audit.WireCapture;
import dev.baton.socket.audit.WireReport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.baton.socket.LabSockets.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Baton and Netty's epoll transport share sockets both ways, as the gateway needs: a Netty epoll channel's socket
 * is captured through its fd on the channel's own event loop and keeps working, and a rebuilt socket is adopted
 * into Netty with {@code new EpollSocketChannel(fd)} and carries the stream on, exactly, in both directions.
 * Hosts "peer" and "a" are network namespaces of a {@link NetnsLab}; a listens, peer connects.
 */
@Tag("privileged")
class NettyEpollChannelTest {
    private static final int PORT = 7200;
    private static final int KIB = 1024;

    @BeforeAll
    static void epollIsAvailable() {
        Epoll.ensureAvailability();
    }

    @Test
    void aNettyEpollChannelsSocketIsCapturedThroughItsFd() throws Exception {
        try (NetnsLab lab = NetnsLab.create("peer", "a")) {
            Host peer = lab.host("peer"), a = lab.host("a");
            bigBuffers(peer, a);
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
            try {
                Collector atA = new Collector(true); // echoes what it reads
                CompletableFuture<EpollSocketChannel> acceptedAtA = new CompletableFuture<>();
                Channel server = listen(group, a, atA, acceptedAtA);
                Collector atPeer = new Collector(false);
                EpollSocketChannel client = (EpollSocketChannel) peer.netns().call(() -> new Bootstrap()
                        .group(group).channel(EpollSocketChannel.class).handler(atPeer)
                        .connect(new InetSocketAddress(a.address(), PORT)).sync().channel());
                EpollSocketChannel accepted = acceptedAtA.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                int fd = accepted.fd().intValue();

                // bytes queued unread at a: its channel does not read (autoRead off) while peer writes
                byte[] toA = random(256 * KIB, 11);
                sync(client.writeAndFlush(Unpooled.wrappedBuffer(toA)));
                await("a's receive queue", () -> inq(fd), toA.length);

                TcpSocketState state;
                try (Hold hold = new Hold(PORT, peer, a)) {
                    // on the channel's event loop, so Netty does not touch the socket meanwhile (the gateway's way)
                    state = accepted.eventLoop()
                            .submit(() -> SocketCapture.capture(TcpSocket.borrow(accepted.fd().intValue())))
                            .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                }

                assertEquals(accepted.localAddress(), state.local(), "local address is the channel's");
                assertEquals(accepted.remoteAddress(), state.remote(), "remote address is the channel's");
                assertEquals(client.localAddress(), state.remote(), "remote address is peer's end");
                assertEquals(TcpState.ESTABLISHED, state.state());
                // Netty opens dual-stack IPv6 sockets by default: an IPv4 connection is v4-mapped on them
                assertEquals(Family.INET6, state.family());
                assertArrayEquals(toA, state.receiveQueue().data(), "receive queue holds exactly the unread bytes");
                assertEquals(0, state.sendQueue().length(), "nothing written by a");

                // the capture left the channel as it was: same fd, open, active, out of repair mode, bytes still queued
                assertEquals(fd, accepted.fd().intValue());
                assertTrue(accepted.isActive(), "channel still active");
                assertFalse(inRepairMode(fd), "socket left repair mode");
                assertEquals(toA.length, inq(fd), "unread bytes still queued");
                assertEquals(0, atA.size(), "a read nothing yet");

                // and it keeps working: a reads the queued bytes and echoes them, then a fresh round trip
                accepted.config().setAutoRead(true);
                assertEquals(sha256(toA), sha256(atA.await(toA.length)), "a read the queued bytes");
                assertEquals(sha256(toA), sha256(atPeer.await(toA.length)), "peer got them echoed back");
                byte[] fresh = random(64 * KIB, 12);
                sync(client.writeAndFlush(Unpooled.wrappedBuffer(fresh)));
                byte[] all = RebuildRoundTripTest.concat(toA, fresh);
                assertEquals(sha256(all), sha256(atA.await(all.length)), "a read the fresh bytes");
                assertEquals(sha256(all), sha256(atPeer.await(all.length)), "peer got the fresh bytes echoed");
                assertNull(atA.failure(), "no exception at a");
                assertNull(atPeer.failure(), "no exception at peer");
                assertTrue(accepted.isActive() && client.isActive(), "both channels still open");
                server.close().sync();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
    }

    @Test
    void aRebuiltSocketIsAdoptedIntoANettyChannelAndCarriesTheStream(@TempDir Path dir) throws Exception {
        try (NetnsLab lab = NetnsLab.create("peer", "a")) {
            Host peer = lab.host("peer"), a = lab.host("a");
            bigBuffers(peer, a);
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
            Path pcap = dir.resolve("peer.pcap");
            try (WireCapture wire = WireCapture.start(peer.netns(), "eth0", "tcp port " + PORT, pcap)) {
                Collector original = new Collector(false);
                CompletableFuture<EpollSocketChannel> acceptedAtA = new CompletableFuture<>();
                Channel server = listen(group, a, original, acceptedAtA);
                try (SocketChannel client = peer.netns().call(
                        () -> SocketChannel.open(new InetSocketAddress(a.address(), PORT)))) {
                    timeouts(client);
                    EpollSocketChannel accepted = acceptedAtA.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                    int fd = accepted.fd().intValue();

                    // queued at a, unread (autoRead off): peer -> a
                    byte[] toA = random(256 * KIB, 21);
                    writeAll(client, toA);
                    await("a's receive queue", () -> inq(fd), toA.length);

                    byte[] toPeer = random(64 * KIB, 22);
                    TcpSocketState state;
                    EpollSocketChannel adopted;
                    Collector atA = new Collector(false);
                    try (Hold hold = new Hold(PORT, peer, a)) {
                        // queued at a, sent and never acknowledged (the hold drops it): a -> peer
                        sync(accepted.writeAndFlush(Unpooled.wrappedBuffer(toPeer)));
                        assertEquals(toPeer.length, settle(() -> outq(fd)), "all of it in a's send queue");

                        // capture on the channel's event loop, through a duplicate of its fd that this test owns
                        RepairSession session = accepted.eventLoop().submit(() -> {
                            TcpSocket dup = grabOwn(fd);
                            try {
                                return RepairSession.enter(dup);
                            } catch (RuntimeException e) {
                                dup.close();
                                throw e;
                            }
                        }).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                        try {
                            state = session.snapshot();
                        } catch (RuntimeException e) {
                            session.close();
                            session.socket().close();
                            throw e;
                        }
                        // the owner closes its channel first (not the last reference), then the last close
                        // happens in repair mode: no FIN, no RST
                        sync(accepted.close());
                        session.closeSilently();

                        assertEquals(TcpState.ESTABLISHED, state.state());
                        assertArrayEquals(toA, state.receiveQueue().data(), "receive queue: the unread bytes");
                        assertArrayEquals(toPeer, state.sendQueue().bytes(), "send queue: the unacknowledged bytes");
                        // the congestion window lets ~10 segments out before the (dropped) ACKs: the rest waits unsent
                        assertTrue(state.sendQueue().unacked().length > 0, "sent, unacknowledged: " + state.sendQueue());
                        assertTrue(state.sendQueue().unsent().length > 0, "not sent yet: " + state.sendQueue());

                        TcpSocketState moved = StateJson.read(StateJson.write(state));
                        TcpSocket rebuilt = a.netns().call(() -> SocketCapture.rebuild(moved));
                        try {
                            // a rebuilt socket starts blocking, and new EpollSocketChannel(fd) leaves O_NONBLOCK as it
                            // finds it; without this the event loop blocks in read and the writes below time out
                            rebuilt.configureBlocking(false);
                            adopted = new EpollSocketChannel(rebuilt.fd()); // Netty owns the fd from here on
                        } catch (RuntimeException e) {
                            rebuilt.close();
                            throw e;
                        }
                        // reads of exactly 16 KiB, up to 64 in a row: the queued bytes fill 16 buffers, so Netty reads
                        // once more, and that read must find EAGAIN — on a blocking fd it would stall the event loop
                        adopted.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(16 * KIB)
                                .maxMessagesPerRead(64));
                        adopted.pipeline().addLast(atA);
                        sync(group.register(adopted));
                        assertTrue(adopted.isActive(), "adopted channel is active");
                        assertEquals(state.local(), adopted.localAddress());
                        assertEquals(state.remote(), adopted.remoteAddress());
                        assertEquals(client.getLocalAddress(), adopted.remoteAddress());
                    } // the hold is released: what it dropped is retransmitted

                    // the queued bytes, both ways
                    assertEquals(sha256(toA), sha256(atA.await(toA.length)), "peer -> a: the bytes a had not read");
                    assertEquals(sha256(toPeer), sha256(readExactly(client, toPeer.length)),
                            "a -> peer: the bytes peer had not acknowledged");

                    // then fresh bytes: a -> peer first (a's event loop must be free to send them), then peer -> a
                    byte[] fromA = random(200 * KIB, 23);
                    byte[] fromPeer = random(200 * KIB, 24);
                    CompletableFuture<byte[]> atPeer = async(() -> readExactly(client, fromA.length));
                    sync(adopted.writeAndFlush(Unpooled.wrappedBuffer(fromA)));
                    assertEquals(sha256(fromA), sha256(join(atPeer)), "a -> peer: fresh bytes");
                    writeAll(client, fromPeer);
                    byte[] allAtA = RebuildRoundTripTest.concat(toA, fromPeer);
                    assertEquals(sha256(allAtA), sha256(atA.await(allAtA.length)), "peer -> a: fresh bytes");

                    // nothing more, no end of stream, no error on either side
                    client.configureBlocking(false);
                    assertEquals(0, client.read(ByteBuffer.allocate(1)), "peer: no more bytes, no end of stream");
                    client.configureBlocking(true);
                    assertEquals(allAtA.length, atA.size(), "a: nothing more");
                    assertNull(atA.failure(), "no exception in the adopted channel");
                    assertEquals(0, original.size(), "the original channel never read");
                    assertTrue(adopted.isActive(), "adopted channel still open");

                    wire.close();
                    WireReport report = WireAudit.analyze(pcap, (InetSocketAddress) client.getLocalAddress());
                    assertEquals(0, report.rstCount(), "no RST on the wire: " + report);
                    assertEquals(0, report.toPeer().finCount(), "no FIN to peer (the close was silent): " + report);
                    assertTrue(report.isClean(), "wire audit: " + report);

                    sync(adopted.close());
                }
                server.close().sync();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
    }

    /** Large receive buffers, so bytes left unread never close the window. */
    private static void bigBuffers(Host... hosts) {
        for (Host h : hosts) {
            sysctl(h, "net.ipv4.tcp_rmem", "4096 33554432 33554432", "net.ipv4.tcp_wmem", "4096 16777216 33554432");
        }
    }

    /** A Netty epoll listener in {@code host}'s namespace whose accepted channels do not read until told to. */
    private static Channel listen(EventLoopGroup group, Host host, ChannelHandler handler,
                                  CompletableFuture<EpollSocketChannel> accepted) throws Exception {
        ServerBootstrap b = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(handler);
                        accepted.complete((EpollSocketChannel) ch);
                    }
                });
        // the channel's socket is created on the calling thread, so in host's namespace
        return host.netns().call(() -> b.bind(host.address(), PORT).sync().channel());
    }

    private static void sync(Future<?> f) throws Exception {
        assertTrue(f.await(TIMEOUT_MS, TimeUnit.MILLISECONDS), "timed out");
        if (!f.isSuccess()) {
            if (f.cause() instanceof Exception e) throw e;
            throw new AssertionError(f.cause());
        }
    }

    /** Keeps every byte a channel reads; optionally echoes it back. */
    @ChannelHandler.Sharable
    static final class Collector extends ChannelInboundHandlerAdapter {
        private final boolean echo;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private volatile Throwable failure;

        Collector(boolean echo) {
            this.echo = echo;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            ByteBuf buf = (ByteBuf) msg;
            synchronized (this) {
                buf.getBytes(buf.readerIndex(), bytes, buf.readableBytes());
            }
            if (echo) ctx.writeAndFlush(buf);
            else buf.release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failure = cause;
            ctx.close();
        }

        synchronized int size() {
            return bytes.size();
        }

        Throwable failure() {
            return failure;
        }

        /** Waits until at least {@code n} bytes arrived; returns all of them. */
        byte[] await(int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
            while (size() < n) {
                if (failure != null) throw new AssertionError("channel failed", failure);
                if (System.nanoTime() > deadline) throw new AssertionError("got " + size() + " of " + n + " bytes");
                Thread.sleep(2);
            }
            synchronized (this) {
                return bytes.toByteArray();
            }
        }
    }
}
