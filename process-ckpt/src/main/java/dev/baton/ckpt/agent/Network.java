package dev.baton.ckpt.agent;

import dev.baton.netns.NetNamespace;

import javax.net.ServerSocketFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Where an agent or a caller makes its TCP sockets: in this process's network namespace ({@code netns} null), or
 * in another one (a test host of a NetnsLab). A socket belongs to the namespace it was created in for life, so
 * only its creation runs inside; accepting, reading and writing then work from any thread.
 */
record Network(NetNamespace netns) {
    static final Network OWN = new Network(null);

    Socket connect(InetSocketAddress to, Duration timeout) throws IOException {
        return inside(() -> {
            Socket s = new Socket();
            try {
                s.connect(to, (int) timeout.toMillis());
                return s;
            } catch (IOException e) {
                s.close();
                throw e;
            }
        });
    }

    ServerSocket listen(ServerSocketFactory factory, InetSocketAddress at) throws IOException {
        return inside(() -> {
            ServerSocket s = factory.createServerSocket();
            try {
                s.bind(at, 64);
                return s;
            } catch (IOException e) {
                s.close();
                throw e;
            }
        });
    }

    private <T> T inside(Callable<T> task) throws IOException {
        if (netns == null) {
            try {
                return task.call();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            return netns.call(task);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("in " + netns + ": " + e.getMessage(), e);
        }
    }
}
