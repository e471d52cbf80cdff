package dev.baton.ckpt.image;

import java.io.IOException;

/**
 * A CRIU image file is not what this package understands: wrong magic, a truncated or malformed entry, trailing
 * bytes, a payload it cannot frame, or a field with the wrong type. Says which file, at which byte offset, and
 * what was expected there. Nothing is written when it is thrown.
 */
public final class ImageFormatException extends IOException {
    private final String file;
    private final long offset;

    public ImageFormatException(String file, long offset, String detail) {
        super(file + " at offset " + offset + ": " + detail);
        this.file = file;
        this.offset = offset;
    }

    /** The image's file name. */
    public String file() {
        return file;
    }

    /** The byte offset in the file where the problem starts. */
    public long offset() {
        return offset;
    }
}
