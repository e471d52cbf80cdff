package dev.baton.gateway.proxy;

import dev.baton.gateway.Gateway;
import dev.baton.gateway.GatewayConfig;
import dev.baton.gateway.GatewayStartException;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.NettyRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.baton.gateway.proxy.ProxyTesting.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * How the gateway takes connections in and lets them go: one listener per event loop on the service's address
 * (each connection served on the loop that accepted it), the address claimed for this gateway alone, and a flow
 * whose two sides ended closed with one FIN each way and no reset.
 */
class ConnectionSetupTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) c.close();
    }

    private <T extends AutoCloseable> T closing(T c) {
        toClose.add(c);
        return c;
    }

    @Test
    void nettyMakesEveryEpollSocketWithTcpNoDelayOnWhichTheGatewayRelies() {
        EpollSocketChannel ch = new EpollSocketChannel();
        try {
            assertTrue(ch.config().isTcpNoDelay(), "Sockets sets no TCP_NODELAY of its own: Netty's default must hold");
        } finally {
            ch.unsafe().closeForcibly();
        }
    }

    @Test
    void aServiceListensOncePerEventLoopAndItsFlowsAreSpreadOverTheLoops() throws Exception {
        TestUpstream upstream = closing(TestUpstream.loopbackEcho());
        Gateway gateway = closing(Gateway.start(loopbackConfig(dir, upstream.port(), null)));
        Service echo = gateway.service("echo").orElseThrow();
        int loops = NettyRuntime.availableProcessors();

        assertEquals(loops, echo.listeners().size(), "one listener per event loop (one loop per CPU)");
        for (var listener : echo.listeners()) assertEquals(echo.listen(), listener.localAddress());
        Set<EventLoop> listening = new HashSet<>();
        for (var listener : echo.listeners()) listening.add(listener.eventLoop());
        assertEquals(loops, listening.size(), "each listener on a loop of its own");

        List<Socket> peers = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            Socket peer = closing(connect(echo.listen()));
            peer.getOutputStream().write(i);
            assertEquals(i, peer.getInputStream().read(), "echo through flow " + i);
            peers.add(peer);
        }
        await("64 flows", () -> echo.flows().size() == 64);
        Set<EventLoop> serving = new HashSet<>();
        for (Flow f : echo.flows()) serving.add(f.eventLoop());
        assertTrue(listening.containsAll(serving), "flows run on the listeners' loops");
        if (loops > 1) assertTrue(serving.size() > 1, "64 connections all on one of " + loops + " loops");
    }

    @Test
    void aSecondGatewayOnTheSameAddressFailsAsOnATakenPortInsteadOfSharingItsPeers() throws Exception {
        TestUpstream upstream = closing(TestUpstream.loopbackEcho());
        Gateway first = closing(Gateway.start(loopbackConfig(dir, upstream.port(), null)));
        InetSocketAddress listen = first.service("echo").orElseThrow().listen();
        GatewayConfig same = GatewayConfig.parse("""
                {"hosts": {"a": {"agent": "127.0.0.1:7441", "address": "127.0.0.1"}},
                 "services": [{"name": "echo", "listen": "127.0.0.1:%d", "workload": "echo", "host": "a", "port": %d}],
                 "state": "%s"}
                """.formatted(listen.getPort(), upstream.port(), dir.resolve("second-state.json")));

        GatewayStartException e = assertThrows(GatewayStartException.class, () -> Gateway.start(same).close());
        assertTrue(e.getMessage().startsWith("service echo cannot listen on 127.0.0.1:" + listen.getPort() + ": "),
                e.getMessage());
        assertTrue(e.getMessage().contains("Address already in use"), e.getMessage());
        for (int i = 0; i < 8; i++) { // every connection still goes to the first gateway
            try (Socket peer = connect(listen)) {
                peer.getOutputStream().write(i);
                assertEquals(i, peer.getInputStream().read());
            }
        }
    }

    @Test
    void aWorkloadThatAnswersAndClosesFirstThenAPeerThatClosesEndTheFlowWithAFinEachWayAndNoReset()
            throws Exception {
        TestUpstream upstream = closing(TestUpstream.loopbackManual());
        Gateway gateway = closing(Gateway.start(loopbackConfig(dir, upstream.port(), null)));
        for (int i = 0; i < 20; i++) {
            try (Socket peer = connect(gateway.service("echo").orElseThrow().listen());
                 SocketChannel atWorkload = upstream.next()) {
                atWorkload.write(ByteBuffer.wrap(new byte[]{'C'}));
                atWorkload.shutdownOutput();
                InputStream in = peer.getInputStream();
                assertEquals('C', in.read());
                assertEquals(-1, in.read(), "the workload's FIN reached the peer");
                peer.shutdownOutput();
                // a reset here would throw: the gateway's FIN comes, after nothing else
                assertEquals(-1, atWorkload.read(ByteBuffer.allocate(1)), "the peer's FIN reached the workload");
            }
        }
        await("every flow to end", () -> gateway.flows().isEmpty());
    }
}
