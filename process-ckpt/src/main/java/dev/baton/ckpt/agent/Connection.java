package dev.baton.ckpt.agent;

import dev.baton.socket.StateJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLSocket;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One TLS connection carrying one call, seen from either end. Before the call starts, messages are read in the
 * calling thread ({@link #readMessage}); then a reader thread takes every frame as it comes: messages go to a
 * {@link Handler}, DATA and END to {@link #dataIn()}, WINDOW to {@link #dataOut()}. When the connection ends
 * without the call ending (the peer died, a local close), the handler and both data streams are told why, so
 * nothing waits forever.
 */
final class Connection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
    /** Bytes per DATA frame (the protocol allows up to 1 MiB). */
    static final int CHUNK = 256 * 1024;
    /** Bytes of DATA a sender may have in flight before the receiver consumed them. */
    static final int WINDOW = 4 * 1024 * 1024;

    /** What the reader does with messages, and what it says when the connection ends first. */
    interface Handler {
        /** @throws IOException to drop the connection (e.g. a message that has no place here) */
        void message(Message message) throws IOException;

        /** The connection ended before the call did. */
        void lost(IOException cause);
    }

    private final SSLSocket socket;
    private final String peer;
    private final InetSocketAddress peerAddress;
    private final DataInputStream in;
    private final FrameWriter out;
    private final DataIn dataIn;
    private final DataOut dataOut;
    private final CountDownLatch readerDone = new CountDownLatch(1);
    private volatile boolean expectData;
    private volatile boolean closing;

    Connection(SSLSocket socket, String peer) throws IOException {
        this.socket = socket;
        this.peer = peer;
        this.peerAddress = (InetSocketAddress) socket.getRemoteSocketAddress();
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
        this.out = new FrameWriter(new BufferedOutputStream(socket.getOutputStream(), 64 * 1024));
        this.dataIn = new DataIn(out);
        this.dataOut = new DataOut(out);
    }

    /** The peer's cluster host name (the CN of its certificate). */
    String peer() {
        return peer;
    }

    /** "b (198.18.0.3:7441)" */
    String describePeer() {
        return peer + " (" + StateJson.format(peerAddress) + ")";
    }

    void setReadTimeout(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
    }

    /** Reads one message in this thread; only before {@link #startReader}. */
    Message readMessage() throws IOException {
        Frame frame = Frame.read(in);
        if (frame == null) throw new EOFException("connection closed by " + describePeer());
        if (frame.type() != Frame.MESSAGE) {
            throw new ProtocolException("expected a message from " + describePeer() + ", got frame type " + frame.type());
        }
        return Json.read(frame.payload());
    }

    void send(Message message) throws IOException {
        out.message(message);
    }

    /** DATA frames are part of this call (in the direction towards us): let the reader accept them. */
    void expectData() {
        expectData = true;
    }

    DataIn dataIn() {
        return dataIn;
    }

    DataOut dataOut() {
        return dataOut;
    }

    void startReader(String name, Handler handler) {
        Thread.ofVirtual().name(name).start(() -> read(handler));
    }

    private void read(Handler handler) {
        IOException cause;
        try {
            while (true) {
                Frame frame = Frame.read(in);
                if (frame == null) {
                    cause = new EOFException("connection closed by " + describePeer());
                    break;
                }
                switch (frame.type()) {
                    case Frame.MESSAGE -> handler.message(Json.read(frame.payload()));
                    case Frame.DATA -> {
                        if (!expectData) throw new ProtocolException("unexpected DATA from " + describePeer());
                        dataIn.add(frame.payload());
                    }
                    case Frame.END -> {
                        if (!expectData) throw new ProtocolException("unexpected END from " + describePeer());
                        dataIn.end();
                    }
                    case Frame.WINDOW -> dataOut.grant(frame.windowBytes());
                    default -> throw new ProtocolException("frame type " + frame.type());
                }
            }
        } catch (IOException e) {
            cause = closing ? new IOException("connection to " + describePeer() + " closed here", e) : e;
            if (e instanceof ProtocolException) LOG.warn("dropping the connection to {}: {}", describePeer(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("reader of the connection to {} failed", describePeer(), e);
            cause = new IOException("internal error reading from " + describePeer() + ": " + e, e);
        }
        try {
            handler.lost(cause);
            dataIn.fail(cause);
            dataOut.fail(cause);
        } finally {
            readerDone.countDown();
            if (!closing) closeQuietly();
        }
    }

    /**
     * After this end sent its last message: waits (at most {@code linger}) for the peer to close, so that what
     * the peer still had in flight is read and dropped here rather than reset, which could destroy our last
     * message before the peer read it.
     */
    void awaitPeerClose(Duration linger) {
        try {
            readerDone.await(linger.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closing = true;
        closeQuietly();
    }

    private void closeQuietly() {
        try {
            socket.close();
        } catch (IOException e) {
            LOG.debug("closing the connection to {}: {}", describePeer(), e.toString());
        }
    }
}
