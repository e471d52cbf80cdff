package dev.baton.ckpt.agent;

import dev.baton.ckpt.bundle.BundleReader;
import dev.baton.ckpt.bundle.BundleWriter;
import dev.baton.ckpt.bundle.Manifest;
import dev.baton.ckpt.bundle.Progress;
import dev.baton.ckpt.keys.ClusterKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs an agent's data path a few dozen times when it starts, so that the JIT has compiled it before the first
 * migration: an agent moves a workload rarely, and each bundle passes through the path only once, so without this
 * every ship ran it in the interpreter. Measured on a 4.4 MiB bundle: TLS alone took 220 ms the first time, ~30 ms
 * the next few, 8.5 ms once compiled; sealing and opening behave the same. Two rehearsals, in the background,
 * ~1 s of CPU once per JVM: a sealed bundle verified in memory, and TLS records exchanged between two in-memory
 * engines with the cluster's own context.
 */
final class WarmUp {
    private static final Logger LOG = LoggerFactory.getLogger(WarmUp.class);
    private static final int BUNDLE_ROUNDS = 16;
    /** A dump has a small image per connection: per-file code must be compiled as well as per-byte code. */
    private static final int SMALL_FILES = 256;
    private static final long TLS_BYTES = 48L << 20;
    private static boolean started;

    private WarmUp() {}

    /** Starts the rehearsals in a background thread, once per JVM. */
    static synchronized void startOnce(ClusterKeys keys) {
        if (started) return;
        started = true;
        Thread.ofPlatform().daemon().name("agent warm-up").priority(Thread.MIN_PRIORITY).start(() -> {
            long t0 = System.nanoTime();
            try {
                BundleWriter.warmUp();
                bundles(keys);
                tls(keys.tlsContext());
                LOG.debug("warm-up done in {} ms", (System.nanoTime() - t0) / 1_000_000);
            } catch (Exception e) {
                // Only speed is at stake: the first migrations then run on the interpreter.
                LOG.warn("warm-up failed (the first migrations will be slower): {}", e.toString());
            }
        });
    }

    private static void bundles(ClusterKeys keys) throws IOException {
        Path dir = Files.createTempDirectory("baton-warm-up");
        try {
            Path images = Files.createDirectory(dir.resolve("images"));
            Files.write(images.resolve("pages-1.img"), new byte[1 << 20]);
            for (int i = 0; i < SMALL_FILES; i++) {
                Files.write(images.resolve("tcp-stream-" + i + ".img"), new byte[100 + i]);
            }
            Manifest manifest = Manifest.of("-", "-", new Manifest.Workload("warm-up", List.of("-"), 1), List.of());
            ByteArrayOutputStream sealed = new ByteArrayOutputStream(2 << 20);
            for (int i = 0; i < BUNDLE_ROUNDS; i++) {
                sealed.reset();
                BundleWriter.seal(images, manifest, keys, sealed, Progress.NONE);
                Path opened = dir.resolve("opened-" + i);
                BundleReader.open(new ByteArrayInputStream(sealed.toByteArray()), keys, opened, Progress.NONE);
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

    /** A TLS 1.3 handshake between two engines of {@code tls}, then {@link #TLS_BYTES} of records one way. */
    private static void tls(SSLContext tls) throws SSLException {
        SSLEngine client = tls.createSSLEngine("warm-up", 1);
        client.setUseClientMode(true);
        SSLEngine server = tls.createSSLEngine();
        server.setSSLParameters(ClusterKeys.configureServer(server.getSSLParameters()));
        server.setUseClientMode(false);
        int packet = client.getSession().getPacketBufferSize();
        ByteBuffer toServer = ByteBuffer.allocate(packet);
        ByteBuffer toClient = ByteBuffer.allocate(packet);
        ByteBuffer plain = ByteBuffer.allocate(client.getSession().getApplicationBufferSize());
        ByteBuffer none = ByteBuffer.allocate(0);
        toServer.flip(); // both empty, ready to be read
        toClient.flip();
        client.beginHandshake();
        server.beginHandshake();
        for (int step = 0; step < 100 && (busy(client) || busy(server)); step++) {
            pump(client, none, toServer, toClient, plain);
            pump(server, none, toClient, toServer, plain);
        }
        if (busy(client) || busy(server)) throw new SSLException("the in-memory handshake did not finish");
        byte[] data = new byte[16 << 10];
        for (long sent = 0; sent < TLS_BYTES; sent += data.length) {
            toServer.clear();
            client.wrap(ByteBuffer.wrap(data), toServer);
            toServer.flip();
            plain.clear();
            server.unwrap(toServer, plain);
        }
    }

    private static boolean busy(SSLEngine e) {
        HandshakeStatus s = e.getHandshakeStatus();
        return s != HandshakeStatus.NOT_HANDSHAKING && s != HandshakeStatus.FINISHED;
    }

    /** One handshake step of {@code e}: runs its tasks, writes what it has to say, reads what it was sent. */
    private static void pump(SSLEngine e, ByteBuffer none, ByteBuffer out, ByteBuffer in, ByteBuffer plain)
            throws SSLException {
        Runnable task;
        while ((task = e.getDelegatedTask()) != null) task.run();
        if (e.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
            out.compact();
            SSLEngineResult r;
            do {
                r = e.wrap(none, out);
            } while (r.getStatus() == SSLEngineResult.Status.OK && e.getHandshakeStatus() == HandshakeStatus.NEED_WRAP
                    && r.bytesProduced() > 0);
            out.flip();
        }
        while (e.getHandshakeStatus() == HandshakeStatus.NEED_UNWRAP && in.hasRemaining()) {
            plain.clear();
            SSLEngineResult r = e.unwrap(in, plain);
            if (r.getStatus() != SSLEngineResult.Status.OK) break;
            while ((task = e.getDelegatedTask()) != null) task.run();
        }
    }
}
