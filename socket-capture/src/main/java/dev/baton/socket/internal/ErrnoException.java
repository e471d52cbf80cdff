package dev.baton.socket.internal;

/** A libc call failed: which call, and the errno it left. */
public final class ErrnoException extends RuntimeException {
    private final String call;
    private final int errno;

    public ErrnoException(String call, int errno) {
        // No stack trace: callers wrap this in an exception of their own, and some paths expect it (bind's EINVAL
        // on a socket that is still bound), so it must be cheap.
        super(call + ": " + describe(errno), null, false, false);
        this.call = call;
        this.errno = errno;
    }

    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }

    /** "EPERM (Operation not permitted)" for the errno values Baton meets; "errno N" for the rest. */
    public static String describe(int errno) {
        String name = switch (errno) {
            case 1 -> "EPERM (Operation not permitted)";
            case 2 -> "ENOENT (No such file or directory)";
            case 3 -> "ESRCH (No such process)";
            case 4 -> "EINTR (Interrupted system call)";
            case 9 -> "EBADF (Bad file descriptor)";
            case 10 -> "ECHILD (No child processes)";
            case 11 -> "EAGAIN (Resource temporarily unavailable)";
            case 12 -> "ENOMEM (Cannot allocate memory)";
            case 13 -> "EACCES (Permission denied)";
            case 22 -> "EINVAL (Invalid argument)";
            case 88 -> "ENOTSOCK (Socket operation on non-socket)";
            case 92 -> "ENOPROTOOPT (Protocol not available)";
            case 95 -> "EOPNOTSUPP (Operation not supported)";
            case 98 -> "EADDRINUSE (Address already in use)";
            case 99 -> "EADDRNOTAVAIL (Cannot assign requested address)";
            case 103 -> "ECONNABORTED (Software caused connection abort)";
            case 104 -> "ECONNRESET (Connection reset by peer)";
            case 106 -> "EISCONN (Transport endpoint is already connected)";
            case 107 -> "ENOTCONN (Transport endpoint is not connected)";
            case 101 -> "ENETUNREACH (Network is unreachable)";
            case 111 -> "ECONNREFUSED (Connection refused)";
            case 113 -> "EHOSTUNREACH (No route to host)";
            default -> null;
        };
        return name != null ? name : "errno " + errno;
    }
}
