package dev.baton.demo;

import dev.baton.socket.StateJson;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small stateful server to migrate whole with CRIU: it echoes every connection's bytes back and keeps two
 * counters in memory — ticks (one per 100 ms) and bytes echoed — printing {@code tick N echoed M} each tick. After
 * a restore the ticks go on from where they stopped: the state moved, the program did not restart.
 * <pre>  EchoCounter IP:PORT</pre>
 */
public final class EchoCounter {
    private static final AtomicLong echoed = new AtomicLong();

    public static void main(String[] args) throws Exception {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(StateJson.parseAddress(args[0]));
        System.out.println("LISTENING " + args[0]);
        Thread.ofPlatform().daemon().name("accept").start(() -> accept(server));
        for (long tick = 0; ; tick++) {
            System.out.println("tick " + tick + " echoed " + echoed.get());
            Thread.sleep(100);
        }
    }

    private static void accept(ServerSocket server) {
        while (true) {
            try {
                Socket s = server.accept();
                Thread.ofPlatform().daemon().name("echo").start(() -> echo(s));
            } catch (IOException e) {
                System.out.println("accept failed: " + e.getMessage());
                return;
            }
        }
    }

    private static void echo(Socket s) {
        byte[] buf = new byte[64 << 10];
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                echoed.addAndGet(n);
            }
        } catch (IOException e) {
            System.out.println("connection ended: " + e.getMessage());
        }
    }
}
