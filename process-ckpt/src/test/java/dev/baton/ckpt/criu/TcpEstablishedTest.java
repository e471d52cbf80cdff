package dev.baton.ckpt.criu;

import dev.baton.netns.NetnsLab;
import dev.baton.netns.NetnsLab.Host;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.baton.ckpt.criu.DumpRestoreTest.criuIn;
import static dev.baton.ckpt.criu.DumpRestoreTest.options;
import static dev.baton.ckpt.criu.DumpRestoreTest.stop;
import static org.junit.jupiter.api.Assertions.*;

/** A TCP connection of the workload to a peer in another namespace survives a dump and a restore. */
@Tag("privileged")
class TcpEstablishedTest {
    /** Echoes whatever its one client sends. */
    static final String[] ECHO = {"/usr/bin/python3", "-c", """
            import socket
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", 7000))
            s.listen()
            print("listening", flush=True)
            c, _ = s.accept()
            while True:
                data = c.recv(65536)
                if not data:
                    break
                c.sendall(data)
            """};

    @TempDir
    Path dir;

    @Test
    void anEstablishedConnectionSurvivesADumpAndARestoreInTheSameNamespaceWithBytesSentWhileItWasLocked() throws Exception {
        try (NetnsLab lab = NetnsLab.create("a", "peer");
             Workload w = Workload.start(lab.host("a"), dir, ECHO)) {
            Host a = lab.host("a");
            w.awaitLines(1);
            // java.net.Socket makes its descriptor on connect: both must happen inside the peer's namespace.
            try (Socket peer = lab.host("peer").netns().call(() -> {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(a.address(), 7000), 5000);
                return s;
            })) {
                peer.setSoTimeout(10_000);
                InputStream in = peer.getInputStream();
                peer.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("hello\n", read(in, 6));

                Path images = Files.createDirectories(dir.resolve("images"));
                try (CriuClient criu = criuIn(a)) {
                    criu.dump(options(images).pid(w.root).tcpEstablished(true)
                            .networkLock(CriuOptions.NetworkLock.NFTABLES).build(), new CriuNotify() {
                        @Override
                        public void postDump() throws Exception {
                            // The workload is frozen and its socket already saved: these bytes are dropped by the
                            // lock and retransmitted by the peer until the restored socket takes them.
                            peer.getOutputStream().write("while-frozen\n".getBytes(StandardCharsets.US_ASCII));
                        }
                    });
                }
                w.awaitGone();

                assertTrue(a.netns().exec(null, "nft", "list", "tables").contains("table inet CRIU-"),
                        "the dump leaves the connection locked until the restore");

                RestoreResult restored;
                try (CriuClient criu = criuIn(a)) {
                    restored = criu.restore(options(images).root("/").tcpEstablished(true).build(), CriuNotify.NONE);
                }
                try {
                    assertEquals("while-frozen\n", read(in, 13), "bytes sent while frozen reach the restored process");
                    peer.getOutputStream().write("again\n".getBytes(StandardCharsets.US_ASCII));
                    assertEquals("again\n", read(in, 6), "the same connection works on");
                    assertEquals("", a.netns().exec(null, "nft", "list", "tables").strip(),
                            "the restore removed the dump's lock");
                } finally {
                    stop(restored.process());
                }
            }
        }
    }

    private static String read(InputStream in, int n) throws Exception {
        return new String(in.readNBytes(n), StandardCharsets.US_ASCII);
    }
}
