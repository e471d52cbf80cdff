package dev.baton.ckpt.agent;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;

/**
 * One frame of the agent protocol: a type byte, a big-endian u32 payload length, the payload.
 *
 * @param type    {@link #MESSAGE}, {@link #DATA}, {@link #END} or {@link #WINDOW}
 * @param payload its bytes (JSON for MESSAGE, bundle bytes for DATA, empty for END, a u32 for WINDOW)
 */
record Frame(byte type, byte[] payload) {
    /** A JSON {@link Message}. */
    static final byte MESSAGE = 1;
    /** A chunk of the bundle, at most {@link #MAX_PAYLOAD} bytes. */
    static final byte DATA = 2;
    /** The bundle is complete. */
    static final byte END = 3;
    /** The receiver of DATA has room for this many more bytes (u32 payload): flow control, see package-info. */
    static final byte WINDOW = 4;

    static final int HEADER = 5;
    /** 1 MiB: no message is that large, and DATA chunks are smaller. */
    static final int MAX_PAYLOAD = 1 << 20;

    /** The next frame, or null at a clean end of stream (between frames). */
    static Frame read(DataInputStream in) throws IOException {
        int type = in.read();
        if (type < 0) return null;
        int length = in.readInt();
        if (type < MESSAGE || type > WINDOW) throw new ProtocolException("unknown frame type " + type);
        if (length < 0 || length > MAX_PAYLOAD) {
            throw new ProtocolException("frame of " + Integer.toUnsignedString(length) + " bytes (at most "
                    + MAX_PAYLOAD + ")");
        }
        if (type == END && length != 0 || type == WINDOW && length != 4) {
            throw new ProtocolException("frame type " + type + " with a payload of " + length + " bytes");
        }
        byte[] payload = new byte[length];
        try {
            in.readFully(payload);
        } catch (EOFException e) {
            throw new EOFException("stream ended inside a frame of " + length + " bytes");
        }
        return new Frame((byte) type, payload);
    }

    int windowBytes() {
        return (payload[0] & 0xff) << 24 | (payload[1] & 0xff) << 16 | (payload[2] & 0xff) << 8 | payload[3] & 0xff;
    }
}
