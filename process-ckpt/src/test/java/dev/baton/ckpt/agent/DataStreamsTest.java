package dev.baton.ckpt.agent;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.ProtocolException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The flow control of a call's bundle: what {@link DataIn} grants back, what {@link DataOut} sends and when. */
class DataStreamsTest {
    private final ByteArrayOutputStream wire = new ByteArrayOutputStream();
    private final FrameWriter frames = new FrameWriter(wire);

    /** The frames written so far, as "DATA n", "END" or "WINDOW n". */
    private List<String> sent() throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(wire.toByteArray()));
        List<String> out = new ArrayList<>();
        for (Frame f; (f = Frame.read(in)) != null; ) {
            out.add(switch (f.type()) {
                case Frame.DATA -> "DATA " + f.payload().length;
                case Frame.END -> "END";
                case Frame.WINDOW -> "WINDOW " + f.windowBytes();
                default -> "type " + f.type();
            });
        }
        return out;
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (seed + i);
        return b;
    }

    @Test
    void theReceiverGrantsEachChunkBackOnceItIsUsedUpAndWhatItDropsOnClose() throws IOException {
        DataIn in = new DataIn(frames);
        byte[] first = bytes(100, 1);
        byte[] second = bytes(50, 7);
        in.add(first);
        in.add(second);

        byte[] read = in.readNBytes(120);

        assertArrayEquals(first, Arrays.copyOf(read, 100));
        assertArrayEquals(Arrays.copyOfRange(second, 0, 20), Arrays.copyOfRange(read, 100, 120));
        assertEquals(List.of("WINDOW 100"), sent());
        in.close();
        assertEquals(List.of("WINDOW 100", "WINDOW 50"), sent(), "the unread rest of a chunk is granted on close");
        in.add(bytes(30, 0));
        assertEquals(List.of("WINDOW 100", "WINDOW 50", "WINDOW 30"), sent(), "chunks after close: dropped, granted");
        assertThrows(IOException.class, in::read);
    }

    @Test
    void afterEndTheReceiverGrantsNothing() throws IOException {
        DataIn in = new DataIn(frames);
        in.add(bytes(100, 3));
        in.add(bytes(40, 5));
        in.end();

        assertEquals(120, in.readNBytes(120).length);
        in.close();

        assertEquals(List.of(), sent(), "nothing more comes after END: neither what was read nor what was dropped");
    }

    @Test
    void aSenderPastItsWindowIsAProtocolError() throws IOException {
        DataIn in = new DataIn(frames);
        in.add(new byte[Connection.WINDOW - 1]);

        ProtocolException e = assertThrows(ProtocolException.class, () -> in.add(new byte[2]));

        assertEquals("the sender went past its window of " + Connection.WINDOW + " bytes", e.getMessage());
        in.end();
        assertEquals("DATA after END", assertThrows(ProtocolException.class, () -> in.add(new byte[1])).getMessage());
    }

    @Test
    void aFailureEndsReadsOnceWhatCameBeforeItIsRead() throws IOException {
        DataIn in = new DataIn(frames);
        in.add(bytes(10, 0));
        IOException lost = new IOException("connection closed by b");
        in.fail(lost);

        assertEquals(10, in.readNBytes(10).length);
        IOException e = assertThrows(IOException.class, in::read);

        assertEquals("connection closed by b", e.getMessage());
        assertSame(lost, e.getCause());
    }

    @Test
    void theSenderSendsWholeChunksWithinItsWindowAndWaitsForMore() throws Exception {
        DataOut out = new DataOut(frames);
        out.write(new byte[Connection.WINDOW]);
        int chunks = Connection.WINDOW / Connection.CHUNK;
        assertEquals(Collections.nCopies(chunks, "DATA " + Connection.CHUNK), sent());

        CompletableFuture<Void> more = CompletableFuture.runAsync(() -> {
            try {
                out.write(new byte[Connection.CHUNK + 1]);
                out.end();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(200);
        assertFalse(more.isDone(), "wrote past the window");
        assertEquals(chunks, sent().size());
        out.grant(Connection.CHUNK);
        Thread.sleep(200);
        assertFalse(more.isDone(), "ended with a byte outside the window");
        out.grant(1);
        more.get(5, TimeUnit.SECONDS);

        List<String> last = sent().subList(chunks, sent().size());
        assertEquals(List.of("DATA " + Connection.CHUNK, "DATA 1", "END"), last);
        assertThrows(IOException.class, () -> out.write(1), "a write after END");
    }

    @Test
    void aLostConnectionFailsAWriterWaitingForWindow() throws Exception {
        DataOut out = new DataOut(frames);
        out.write(new byte[Connection.WINDOW]);
        CompletableFuture<IOException> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                out.write(new byte[Connection.CHUNK]);
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        Thread.sleep(100);

        out.fail(new IOException("connection closed by a"));

        assertEquals("connection closed by a", waiting.get(5, TimeUnit.SECONDS).getMessage());
    }
}
