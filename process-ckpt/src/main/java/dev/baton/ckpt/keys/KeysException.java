package dev.baton.ckpt.keys;

/**
 * Cluster key material could not be created, loaded or used. {@link #reason()} says what a user can do about it;
 * the message names the file or certificate and the cause.
 */
public final class KeysException extends RuntimeException {

    /** Why it failed, in terms a user can act on. */
    public enum Reason {
        /** {@code init}/{@code issue} would overwrite key material, or the directory holds other files. */
        EXISTS,
        /** A file of the key material is missing. */
        MISSING,
        /** A private file (a key or the bundle secret) can be read by group or others. */
        INSECURE_PERMISSIONS,
        /** A file is not what it should be (not PEM, wrong type, wrong length). */
        MALFORMED,
        /** A certificate is expired or not yet valid. */
        EXPIRED,
        /** A certificate was not issued by this cluster's CA. */
        NOT_FROM_CA,
        /** A private key does not belong to its certificate. */
        KEY_MISMATCH,
        /** A host name that cannot go into a certificate. */
        INVALID_HOST_NAME,
        /** Reading or writing a file failed. */
        IO
    }

    private final Reason reason;

    KeysException(Reason reason, String message) {
        this(reason, message, null);
    }

    KeysException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
