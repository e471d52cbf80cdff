package dev.baton.ckpt.agent;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes frames to a connection. Several threads write to one connection (the data pump, hook answers, window
 * updates), so each frame is written and flushed whole under a lock.
 */
final class FrameWriter {
    private final OutputStream out;
    private final byte[] header = new byte[Frame.HEADER];

    FrameWriter(OutputStream out) {
        this.out = out;
    }

    void message(Message message) throws IOException {
        byte[] json = Json.write(message);
        if (json.length > Frame.MAX_PAYLOAD) {
            throw new IllegalStateException(message.getClass().getSimpleName() + " of " + json.length + " bytes");
        }
        write(Frame.MESSAGE, json, 0, json.length);
    }

    void data(byte[] chunk, int off, int len) throws IOException {
        if (len <= 0 || len > Frame.MAX_PAYLOAD) throw new IllegalArgumentException("DATA chunk of " + len + " bytes");
        write(Frame.DATA, chunk, off, len);
    }

    void end() throws IOException {
        write(Frame.END, new byte[0], 0, 0);
    }

    void window(int bytes) throws IOException {
        byte[] b = {(byte) (bytes >>> 24), (byte) (bytes >>> 16), (byte) (bytes >>> 8), (byte) bytes};
        write(Frame.WINDOW, b, 0, 4);
    }

    private synchronized void write(byte type, byte[] payload, int off, int len) throws IOException {
        header[0] = type;
        header[1] = (byte) (len >>> 24);
        header[2] = (byte) (len >>> 16);
        header[3] = (byte) (len >>> 8);
        header[4] = (byte) len;
        try {
            out.write(header);
            out.write(payload, off, len);
            out.flush();
        } catch (IOException e) {
            throw new WriteFailedException(e);
        }
    }

    /** The connection broke under a write: the reader will see it too, and say more. */
    static final class WriteFailedException extends IOException {
        WriteFailedException(IOException cause) {
            super("sending failed: " + cause.getMessage(), cause);
        }
    }
}
