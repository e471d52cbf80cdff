package dev.baton.ckpt.agent;

import dev.baton.ckpt.bundle.BundleReader;
import dev.baton.ckpt.bundle.BundleWriter;
import dev.baton.ckpt.bundle.Manifest;
import dev.baton.ckpt.bundle.Progress;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.socket.ProcessSockets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * Runs an agent's data path a few dozen times when it starts, so that the JIT has compiled it before the first
 * migration: an agent moves a workload rarely, and each bundle passes through the path only once, so without this
 * every ship ran it in the interpreter. Measured on a 4.4 MB bundle sealed into TLS and opened at the other end:
 * 510 ms the first time, 50–190 ms the next five, 20–30 ms once compiled. The rehearsal is that path itself, in
 * the background, once per JVM (~2 s of CPU): bundles sealed into a TLS connection over loopback, with the
 * cluster's own context, and opened from its other end.
 */
final class WarmUp {
    private static final Logger LOG = LoggerFactory.getLogger(WarmUp.class);
    private static final int ROUNDS = 10;
    /** A dump has a small image per connection: per-file code must be compiled as well as per-byte code. */
    private static final int SMALL_FILES = 256;
    private static final int PAGES_BYTES = 4 << 20;
    private static boolean started;

    private WarmUp() {}

    /** Starts the rehearsal in a background thread, once per JVM. */
    static synchronized void startOnce(ClusterKeys keys) {
        if (started) return;
        started = true;
        Thread.ofPlatform().daemon().name("agent warm-up").priority(Thread.MIN_PRIORITY).start(() -> {
            long t0 = System.nanoTime();
            try {
                // The accept-queue query inside a dump's freeze: ~0.1 s the first time in a JVM, 0.5 ms after.
                ProcessSockets.acceptQueues((int) ProcessHandle.current().pid());
                BundleWriter.warmUp();
                ships(keys);
                LOG.debug("warm-up done in {} ms", (System.nanoTime() - t0) / 1_000_000);
            } catch (Exception e) {
                // Only speed is at stake: the first migrations then run on the interpreter.
                LOG.warn("warm-up failed (the first migrations will be slower): {}", e.toString());
            }
        });
    }

    private static void ships(ClusterKeys keys) throws Exception {
        Path dir = Files.createTempDirectory("baton-warm-up");
        SSLContext tls = keys.tlsContext();
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (SSLServerSocket listener = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(0, 1,
                loopback)) {
            listener.setSSLParameters(ClusterKeys.configureServer(listener.getSSLParameters()));
            Path images = Files.createDirectory(dir.resolve("images"));
            Files.write(images.resolve("pages-1.img"), new byte[PAGES_BYTES]);
            for (int i = 0; i < SMALL_FILES; i++) {
                Files.write(images.resolve("tcp-stream-" + i + ".img"), new byte[100 + i]);
            }
            Manifest manifest = Manifest.of("-", "-", new Manifest.Workload("warm-up", List.of("-"), 1), List.of());
            for (int i = 0; i < ROUNDS; i++) {
                Path opened = dir.resolve("opened-" + i);
                CompletableFuture<Void> received = CompletableFuture.runAsync(() -> {
                    try (Socket from = listener.accept()) {
                        BundleReader.open(from.getInputStream(), keys, opened, Progress.NONE);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }, r -> Thread.ofPlatform().daemon().name("agent warm-up receiver").start(r));
                try (SSLSocket to = (SSLSocket) tls.getSocketFactory().createSocket(loopback, listener.getLocalPort())) {
                    OutputStream out = new BufferedOutputStream(to.getOutputStream(), Connection.CHUNK);
                    BundleWriter.seal(images, manifest, keys, out, Progress.NONE);
                    to.shutdownOutput();
                    received.join();
                }
                delete(opened);
            }
        } finally {
            delete(dir);
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
