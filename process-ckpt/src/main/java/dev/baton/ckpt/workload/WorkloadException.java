package dev.baton.ckpt.workload;

/** A workload could not be started, found or recorded; the message says which and why. */
public final class WorkloadException extends RuntimeException {
    public WorkloadException(String message) {
        super(message);
    }

    public WorkloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
