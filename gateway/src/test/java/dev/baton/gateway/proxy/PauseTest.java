package dev.baton.gateway.proxy;

import dev.baton.gateway.Gateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.baton.gateway.proxy.ProxyTesting.*;
import static org.junit.jupiter.api.Assertions.*;

/** New flows paused and resumed on loopback (the move to another host is in {@link MigrationLabTest}). */
class PauseTest {
    @TempDir
    Path dir;

    @Test
    void aWaitingPeerThatSendsAndEndsIsServedInOrderOnResume() throws Exception {
        try (TestUpstream upstream = TestUpstream.loopbackManual();
             Gateway gateway = Gateway.start(loopbackConfig(dir, upstream.port(), null))) {
            Service echo = gateway.service("echo").orElseThrow();
            echo.pauseNewFlows();
            echo.pauseNewFlows(); // idempotent
            try (SocketChannel peer = SocketChannel.open(echo.listen())) {
                byte[] request = random(10 * KIB, 1);
                writeAll(peer, request);
                peer.shutdownOutput();
                Flow flow = onlyFlow(gateway);
                assertEquals(Flow.State.WAITING, flow.state());
                assertNull(flow.upstreamRemote(), "no upstream yet");
                // freeze and thaw leave a waiting flow alone: it writes nothing upstream before the resume anyway
                join(flow.freeze());
                join(flow.thaw());
                assertEquals(Flow.State.WAITING, flow.state());
                Thread.sleep(200);
                assertEquals(0, upstream.acceptedCount(), "a waiting flow does not connect");

                echo.resumeNewFlows("a");
                assertFalse(echo.newFlowsPaused());
                try (SocketChannel atWorkload = upstream.next()) {
                    assertEquals(sha256(request), sha256(readToEnd(atWorkload)), "the request, then the end");
                    writeAll(atWorkload, new byte[]{9});
                    atWorkload.shutdownOutput();
                    assertArrayEquals(new byte[]{9}, readToEnd(peer));
                    assertEquals(-1, atWorkload.read(ByteBuffer.allocate(1)));
                }
                await("the flow to end", () -> flow.state() == Flow.State.CLOSED);
            }
            assertTrue(Files.readString(gateway.stateFile()).contains("\"echo\" : \"a\""));
        }
    }

    @Test
    void aWaitingPeerThatResetsLeavesNoFlow() throws Exception {
        // (a FIN is not giving up: it may be a half-close with the peer waiting for the answer, as above)
        try (TestUpstream upstream = TestUpstream.loopbackManual();
             Gateway gateway = Gateway.start(loopbackConfig(dir, upstream.port(), null))) {
            Service echo = gateway.service("echo").orElseThrow();
            echo.pauseNewFlows();
            try (SocketChannel peer = SocketChannel.open(echo.listen())) {
                await("a waiting flow", () -> gateway.flows().size() == 1);
                peer.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
            await("the flow to go", () -> gateway.flows().isEmpty());
            echo.resumeNewFlows("a");
            Thread.sleep(100);
            assertEquals(0, upstream.acceptedCount(), "nobody to connect for");
        }
    }
}
