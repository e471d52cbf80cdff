package dev.baton.ckpt.agent;

/**
 * Thrown by the agent's {@link Hooks} into a {@link HostService} when the caller did not let the operation go on
 * past a point: it aborted, did not answer in time, or disconnected. The operation must roll back.
 */
final class HookFailedException extends Exception {
    HookFailedException(String message) {
        super(message);
    }

    HookFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
