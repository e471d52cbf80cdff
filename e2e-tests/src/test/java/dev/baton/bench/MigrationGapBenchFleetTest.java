package dev.baton.bench;

import dev.baton.netns.NetNamespace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/** The many-connection peer: its gaps and its check of the echo, against an echo on loopback that we control. */
@Tag("privileged") // the fleet runs under nsenter, here into this JVM's own namespace
class MigrationGapBenchFleetTest {
    private final AtomicBoolean paused = new AtomicBoolean();
    private final AtomicBoolean corrupt = new AtomicBoolean();
    private ServerSocket server;
    private MigrationGapBenchFleetProcess fleet;

    /** An echo, a thread per connection, that can stop answering or flip a byte of what it echoes. */
    private InetSocketAddress echo() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().start(() -> {
            try {
                while (true) {
                    Socket s = server.accept();
                    Thread.ofPlatform().daemon().start(() -> echo(s));
                }
            } catch (IOException closed) {
                // the test ended
            }
        });
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    private void echo(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) > 0; ) {
                while (paused.get()) Thread.sleep(1);
                if (corrupt.get()) buf[0] ^= 1;
                out.write(buf, 0, n);
            }
        } catch (IOException | InterruptedException ended) {
            // the fleet closed or the test ended
        }
    }

    private MigrationGapBenchFleetProcess start(int connections) throws Exception {
        fleet = MigrationGapBenchFleetProcess.start(NetNamespace.ofProcess(ProcessHandle.current().pid()), echo(),
                connections, 20);
        return fleet;
    }

    @AfterEach
    void tearDown() throws Exception {
        if (fleet != null) fleet.close();
        if (server != null) server.close();
    }

    @Test
    void theWorstConnectionsGapIsTheLongestTimeItsEchoStayedAway() throws Exception {
        start(10);
        Thread.sleep(500);
        fleet.reset();
        Thread.sleep(200);
        paused.set(true);
        Thread.sleep(400);
        paused.set(false);
        Thread.sleep(300);

        MigrationGapBenchFleetProcess.Stats s = fleet.stats();
        assertTrue(s.clean(), s.toString());
        assertEquals(10, s.connections());
        assertTrue(s.maxGapMs() >= 400 && s.maxGapMs() < 1000, s.toString());
        assertTrue(s.medianGapMs() >= 300, "every connection waited: " + s);
        assertTrue(s.silentNowMs() < 200, "flowing again: " + s);
        assertTrue(s.read() > 0 && s.read() <= s.written(), s.toString());
    }

    @Test
    void aResetStartsANewWindow() throws Exception {
        start(5);
        paused.set(true);
        Thread.sleep(300);
        paused.set(false);
        Thread.sleep(200);
        fleet.reset();
        Thread.sleep(300);

        MigrationGapBenchFleetProcess.Stats s = fleet.stats();
        assertTrue(s.maxGapMs() < 200, "the pause was before the window: " + s);
    }

    @Test
    void anEchoThatDiffersFromWhatWasSentIsAFailureNamingTheConnection() throws Exception {
        start(3);
        Thread.sleep(200);
        corrupt.set(true);
        Thread.sleep(300);

        MigrationGapBenchFleetProcess.Stats s = fleet.stats();
        assertFalse(s.clean());
        assertEquals(3, s.failures(), s.toString());
        assertTrue(s.firstFailure().matches("connection \\d: byte \\d+ of the echo differs from what was sent"),
                s.firstFailure());
    }
}
