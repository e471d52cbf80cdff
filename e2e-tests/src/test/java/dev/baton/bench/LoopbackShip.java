package dev.baton.bench;

import dev.baton.ckpt.Checkpointer;
import dev.baton.ckpt.agent.Hooks;
import dev.baton.ckpt.bundle.BundleReader;
import dev.baton.ckpt.bundle.Progress;
import dev.baton.ckpt.keys.ClusterKeys;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Ships an image directory to a receiver over a loopback TCP connection, the receiver writing the image into a
 * directory on disk: either sealed ({@link Checkpointer#seal} on one side, {@link BundleReader#open} on the other:
 * encrypted, signed, verified before anything is kept) or as a plain copy of the same bytes (each file as name,
 * size, bytes; no checks). Both use the same socket buffers and a 64 KiB buffered stream on each side.
 * Each call times from connecting until the receiver has written the last file.
 */
final class LoopbackShip implements AutoCloseable {
    private static final int BUFFER = 1 << 16;
    private final ServerSocket server;

    LoopbackShip() throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    }

    interface Sender {
        void send(OutputStream out) throws Exception;
    }

    interface Receiver {
        void receive(InputStream in) throws Exception;
    }

    /** Milliseconds to seal {@code dump} into the socket and open it into {@code into} (which must not exist). */
    double sealed(Checkpointer source, Checkpointer.Dumped dump, ClusterKeys receiverKeys, Path into) throws Exception {
        return ship(out -> source.seal(dump, out, Hooks.NONE),
                in -> BundleReader.open(in, receiverKeys, into, Progress.NONE));
    }

    /** Milliseconds to copy the files of {@code images} through the socket into {@code into} (which must not exist). */
    double plain(Path images, Path into) throws Exception {
        return ship(out -> {
            DataOutputStream data = new DataOutputStream(out);
            for (Path f : CheckpointLab.files(images)) {
                data.writeUTF(f.getFileName().toString());
                data.writeLong(Files.size(f));
                Files.copy(f, data);
            }
            data.writeUTF("");
        }, in -> {
            Files.createDirectory(into);
            DataInputStream data = new DataInputStream(new BufferedInputStream(in, BUFFER));
            for (String name = data.readUTF(); !name.isEmpty(); name = data.readUTF()) {
                long size = data.readLong();
                try (OutputStream file = Files.newOutputStream(into.resolve(name))) {
                    copy(data, file, size, name);
                }
            }
        });
    }

    private double ship(Sender sender, Receiver receiver) throws Exception {
        long start = System.nanoTime();
        CompletableFuture<Void> received = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("bench-receiver").start(() -> {
            try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                receiver.receive(in);
                received.complete(null);
            } catch (Throwable e) {
                received.completeExceptionally(e);
            }
        });
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()));
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), BUFFER);
            sender.send(out);
            out.flush();
            s.shutdownOutput();
            received.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (Exception e) {
            received.exceptionally(ignored -> null);
            throw e;
        }
        return (System.nanoTime() - start) / 1e6;
    }

    private static void copy(InputStream in, OutputStream out, long size, String name) throws IOException {
        byte[] buffer = new byte[BUFFER];
        for (long left = size; left > 0; ) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) throw new IOException(name + " ends " + left + " bytes short");
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
