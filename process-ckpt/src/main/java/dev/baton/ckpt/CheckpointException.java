package dev.baton.ckpt;

/**
 * A checkpoint or restore was refused or failed; the message says what, why, and where the workload's state is
 * (still running, or kept in a named images directory or bundle).
 */
public final class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
