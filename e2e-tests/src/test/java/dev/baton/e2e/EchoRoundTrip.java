package dev.baton.e2e;

import dev.baton.netns.NetnsLab;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/** One short exchange with an echo server (EchoCounter) from another test host, on a connection of its own. */
final class EchoRoundTrip {
    private EchoRoundTrip() {}

    /**
     * Sends {@code n} random bytes from host {@code from} to {@code service} and reads {@code n} back: returns
     * {@code n} when they are the bytes sent, -1 when they differ. Fails after 2 s connecting or 5 s reading.
     */
    static int bytes(NetnsLab.Host from, InetSocketAddress service, int n) throws Exception {
        byte[] sent = new byte[n];
        ThreadLocalRandom.current().nextBytes(sent);
        return from.netns().call(() -> {
            try (Socket s = new Socket()) {
                s.connect(service, 2_000);
                s.setSoTimeout(5_000);
                s.getOutputStream().write(sent);
                InputStream in = s.getInputStream();
                byte[] back = in.readNBytes(n);
                return Arrays.equals(sent, back) ? back.length : -1;
            }
        });
    }
}
