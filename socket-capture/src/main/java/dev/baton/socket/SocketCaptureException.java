package dev.baton.socket;

import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;

/**
 * A socket could not be captured, rebuilt or re-pointed. {@link #reason()} says what a user can do about it;
 * the message names the step that failed and the errno. When this is thrown the socket involved is not left in
 * repair mode.
 */
public final class SocketCaptureException extends RuntimeException {

    /** Why it failed, in terms a user can act on. */
    public enum Reason {
        /** The caller lacks CAP_NET_ADMIN in the socket's network namespace (or ptrace rights over the process). */
        PERMISSION_DENIED("needs root, or CAP_NET_ADMIN in the socket's network namespace"),
        /** The kernel has no TCP_REPAIR (or no pidfd_getfd). */
        KERNEL_UNSUPPORTED("the kernel lacks TCP_REPAIR or pidfd_getfd (Linux >= 5.6 with CONFIG_CHECKPOINT_RESTORE)"),
        NO_SUCH_PROCESS("no such process"),
        NO_SUCH_FD("the process has no such file descriptor"),
        NOT_A_SOCKET("not a socket"),
        NOT_TCP("not a TCP socket"),
        LISTENING("a listening socket has no connection to capture"),
        UNSUPPORTED_STATE("only ESTABLISHED and half-closed (FIN_WAIT1/2, CLOSE_WAIT, CLOSING, LAST_ACK) connections can be rebuilt"),
        ADDRESS_IN_USE("the 4-tuple is already in use in that network namespace"),
        ADDRESS_UNAVAILABLE("the address cannot be used in that network namespace"),
        INCONSISTENT_STATE("the socket state is inconsistent"),
        FAILED("the kernel refused the operation");

        private final String hint;

        Reason(String hint) {
            this.hint = hint;
        }

        public String hint() {
            return hint;
        }
    }

    private final Reason reason;
    private final int errno;

    public SocketCaptureException(Reason reason, String step, String detail) {
        this(reason, step, detail, 0, null);
    }

    private SocketCaptureException(Reason reason, String step, String detail, int errno, Throwable cause) {
        super(step + " failed: " + reason.hint() + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"),
                cause);
        this.reason = reason;
        this.errno = errno;
    }

    /** Maps a failed libc call to the reason a user would act on. */
    static SocketCaptureException of(String step, ErrnoException e) {
        Reason reason = switch (e.errno()) {
            case Libc.EPERM, Libc.EACCES -> Reason.PERMISSION_DENIED;
            case Libc.ESRCH -> Reason.NO_SUCH_PROCESS;
            case Libc.EBADF -> Reason.NO_SUCH_FD;
            case Libc.ENOTSOCK -> Reason.NOT_A_SOCKET;
            case Libc.ENOSYS, Libc.ENOPROTOOPT, Libc.EOPNOTSUPP -> Reason.KERNEL_UNSUPPORTED;
            case Libc.EADDRINUSE -> Reason.ADDRESS_IN_USE;
            case Libc.EADDRNOTAVAIL -> Reason.ADDRESS_UNAVAILABLE;
            default -> Reason.FAILED;
        };
        return new SocketCaptureException(reason, step, e.getMessage(), e.errno(), e);
    }

    /** A failed libc call whose errno means something more specific in context than {@link #of} can tell. */
    static SocketCaptureException of(Reason reason, String step, String detail, ErrnoException e) {
        return new SocketCaptureException(reason, step, e.getMessage() + ": " + detail, e.errno(), e);
    }

    public Reason reason() {
        return reason;
    }

    /** The errno behind the failure, or 0 when it was not a failed system call. */
    public int errno() {
        return errno;
    }
}
