package dev.baton.ckpt.bundle;

/**
 * A bundle could not be sealed, verified or opened. {@link #reason()} tells the failures apart; the message names
 * the step, the reason and the detail. When opening fails, nothing is left in the target directory or next to it.
 */
public final class BundleException extends RuntimeException {

    /** Why it failed. The first six are about the bundle's bytes, in the order a reader checks them. */
    public enum Reason {
        NOT_A_BUNDLE("not a Baton bundle"),
        UNSUPPORTED_VERSION("a bundle format this Baton does not read"),
        /** The signer's certificate was not issued by this cluster's CA, or has expired. */
        UNTRUSTED_SIGNER("untrusted signer"),
        /** Sealed with another bundle key: the header's key check fails before anything is decrypted. */
        WRONG_KEY("wrong key: sealed with another cluster's bundle key"),
        /** Bytes were changed, reordered, added or removed after sealing. */
        TAMPERED("tampered: modified after sealing"),
        /** The stream ends early (a cut transfer, a dropped last chunk). */
        TRUNCATED("truncated"),
        /**
         * The chunks authenticate with the cluster's bundle key, but their content is not a valid image (unsafe
         * names, files not as listed, hashes that do not match): a bug or a misbehaving host of the cluster.
         */
        MALFORMED("malformed content from inside the cluster"),
        /** The image directory holds something other than regular files with plain names. */
        UNSUPPORTED_IMAGE("the image directory cannot be sealed"),
        TARGET_EXISTS("the target directory already exists"),
        /** Reading or writing failed (disk, stream). */
        IO("I/O error");

        private final String hint;

        Reason(String hint) {
            this.hint = hint;
        }

        public String hint() {
            return hint;
        }
    }

    private final Reason reason;
    private final String detail;

    BundleException(Reason reason, String detail) {
        this(reason, null, detail, null);
    }

    BundleException(Reason reason, String detail, Throwable cause) {
        this(reason, null, detail, cause);
    }

    private BundleException(Reason reason, String step, String detail, Throwable cause) {
        super((step == null ? "" : step + ": ") + reason.hint()
                + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"), cause);
        this.reason = reason;
        this.detail = detail;
    }

    /** The same failure, its message led by the step that failed ("opening bundle into /x: ..."). */
    BundleException inStep(String step) {
        BundleException e = new BundleException(reason, step, detail, getCause());
        e.setStackTrace(getStackTrace());
        return e;
    }

    public Reason reason() {
        return reason;
    }
}
