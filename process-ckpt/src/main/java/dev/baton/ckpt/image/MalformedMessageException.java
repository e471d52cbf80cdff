package dev.baton.ckpt.image;

/**
 * A protobuf message could not be decoded. {@code offset} counts from the start of the message's bytes; the
 * image reader turns it into an {@link ImageFormatException} with the file and its absolute offset.
 */
final class MalformedMessageException extends RuntimeException {
    private final long offset;

    MalformedMessageException(long offset, String message) {
        super(message);
        this.offset = offset;
    }

    long offset() {
        return offset;
    }

    /** The same failure for a message found {@code base} bytes into an enclosing message. */
    MalformedMessageException shiftedBy(long base) {
        return new MalformedMessageException(base + offset, getMessage());
    }

    /** The same failure located in a file: entry {@code index}, whose message starts at {@code messageOffset}. */
    MalformedMessageException inEntry(int index, long messageOffset) {
        return new MalformedMessageException(messageOffset + offset, "entry " + index + ": " + getMessage());
    }
}
