package dev.baton.ckpt.image;

import dev.baton.netns.NetnsLab;
import dev.baton.netns.NetnsLab.Host;
import dev.baton.socket.Seq;
import dev.baton.socket.TcpState;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The send queue of a dump, reconciled with what the peer really has, restores as data sent at once. The
 * workload on host "a" sends chunk A while the peer's ACKs are dropped on a (the peer has A, the workload does
 * not know), then chunk B, whose packets are dropped on the peer's side (a counts B as sent; a packet dropped in
 * a's own output would count as unsent). The dump holds A and B as sent and unacknowledged. Reconciled with the
 * peer's rcv_nxt, the restored socket drops A and sends B as new data during the restore: the peer gets exactly
 * B, instead of waiting for the restored socket's first retransmission timer (no RTT history).
 */
@Tag("privileged")
class ReconciledRestoreTest {
    private static final int PORT = 7000;
    /** A fits in one segment and B in three, so both go out at once within the initial window. */
    private static final int A = 1_000;
    private static final int B = 4_000;
    private static final String SERVER = """
            import os, socket, sys, time
            def wait_for(path):
                while not os.path.exists(path):
                    time.sleep(0.005)
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((sys.argv[1], 7000))
            s.listen(1)
            print("listening", flush=True)
            c, peer = s.accept()
            wait_for(sys.argv[2] + "/goA")
            c.sendall(b"A" * 1000)
            print("sentA", flush=True)
            wait_for(sys.argv[2] + "/goB")
            c.sendall(bytes(i % 251 for i in range(4000)))
            print("sentB", flush=True)
            while True:
                time.sleep(1)
            """;

    @Test
    void aReconciledSendQueueIsSentAtOnceAfterRestoreAndThePeerGetsExactlyWhatItLacked(@TempDir Path work)
            throws Exception {
        byte[] chunkB = new byte[B];
        for (int i = 0; i < B; i++) chunkB[i] = (byte) (i % 251);
        Path images = Files.createDirectory(work.resolve("images"));
        try (NetnsLab lab = NetnsLab.create("a", "peer")) {
            Host a = lab.host("a");
            Host peer = lab.host("peer");
            long restored = -1;
            try (Workload workload = Workload.start(a, work, SERVER, a.address().getHostAddress(), work.toString());
                 SocketChannel client = peer.netns().call(SocketChannel::open)) {
                workload.await("listening");
                client.connect(new InetSocketAddress(a.address(), PORT));
                client.socket().setSoTimeout(5_000);
                InputStream in = client.socket().getInputStream();
                String p = peer.address().getHostAddress();
                int peerPort = ((InetSocketAddress) client.getLocalAddress()).getPort();

                a.netns().exec("table inet baton_hold { chain in { type filter hook input priority 0; ip saddr %s tcp sport %d drop; }\n}"
                        .formatted(p, peerPort), "nft", "-f", "-");
                Files.createFile(work.resolve("goA"));
                workload.await("sentA");
                assertArrayEquals(filled('A'), in.readNBytes(A), "the peer has A; a never hears of it");

                // B's packets leave a (so a counts them as sent) and are lost before the peer.
                peer.netns().exec("table inet baton_hold { chain in { type filter hook input priority 0; ip saddr %s tcp sport %d drop; }\n}"
                        .formatted(a.address().getHostAddress(), PORT), "nft", "-f", "-");
                Files.createFile(work.resolve("goB"));
                workload.await("sentB");
                CriuCli.dump(a, workload.pid(), images);
                a.netns().exec(null, "nft", "delete", "table", "inet", "baton_hold");
                peer.netns().exec(null, "nft", "delete", "table", "inet", "baton_hold");

                ImageDir dir = ImageDir.open(images);
                InetSocketImage connection = dir.inetSockets().stream()
                        .filter(s -> s.state() == TcpState.ESTABLISHED).findFirst().orElseThrow();
                TcpStreamImage dumped = dir.tcpStream(connection).orElseThrow();
                assertEquals(A + B, dumped.outqLength(), "A and B unacknowledged in the dump");
                assertEquals(0, dumped.unsentLength(), "B was transmitted (and lost), not left unsent");
                long peerRcvNxt = Seq.add(dumped.sendQueueSeq(false), A); // the peer read A and nothing else
                SendQueueTrim trim = dir.reconcileSendQueue(connection, peerRcvNxt);
                assertEquals(new SendQueueTrim(dumped.sendQueueSeq(false), peerRcvNxt, A, A + B, B), trim);
                TcpStreamImage edited = dir.tcpStream(connection).orElseThrow();
                assertArrayEquals(chunkB, edited.sendQueue());
                assertEquals(B, edited.outqLength());
                assertEquals(B, edited.unsentLength());
                assertEquals(dumped.outqSeq(), edited.outqSeq(), "write_seq does not move");
                assertEquals(peerRcvNxt, edited.sendQueueSeq(false), "the send queue starts at the peer's rcv_nxt");
                assertEquals(dumped.inqSeq(), edited.inqSeq());
                assertArrayEquals(dumped.receiveQueue(), edited.receiveQueue());
                assertEquals(edited, ImageDir.open(images).tcpStream(connection).orElseThrow(),
                        "the file says what the ImageDir that edited it says");

                restored = CriuCli.restore(a, images);
                long restoredAt = System.nanoTime();
                byte[] got = in.readNBytes(B);
                long millis = (System.nanoTime() - restoredAt) / 1_000_000;
                assertArrayEquals(chunkB, got, "the peer gets exactly B");
                // Measured here: B is there when restore returns; left as sent-unacked (no reconcile) it took
                // 0.4 to 2 s, the restored socket's retransmission timer.
                assertTrue(millis < 200, "B arrived " + millis + " ms after the restore");
            } finally {
                if (restored > 0) ProcessHandle.of(restored).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    private static byte[] filled(char c) {
        byte[] b = new byte[A];
        Arrays.fill(b, (byte) c);
        return b;
    }
}
