package dev.baton.ckpt.criu;

import dev.baton.socket.internal.ErrnoException;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * CRIU answered a request with failure: its errno and first error, the error lines of its log, and where that log
 * is. When one of our {@link CriuNotify} callbacks made it fail, that callback's exception is the cause.
 */
public final class CriuException extends RuntimeException {
    private final String request;
    private final int crErrno;
    private final List<String> logErrors;
    private final Path log;

    CriuException(String request, String reason, int crErrno, String crErrmsg, List<String> logErrors, Path log,
                  Throwable cause) {
        super(message(request, reason, crErrno, crErrmsg, logErrors, log), cause);
        this.request = request;
        this.crErrno = crErrno;
        this.logErrors = List.copyOf(logErrors);
        this.log = log;
    }

    private static String message(String request, String reason, int crErrno, String crErrmsg, List<String> logErrors,
                                  Path log) {
        StringBuilder m = new StringBuilder("CRIU ").append(request).append(" failed");
        if (reason != null) m.append(": ").append(reason);
        if (crErrno != 0) m.append(" (cr_errno ").append(ErrnoException.describe(crErrno)).append(')');
        if (crErrmsg != null && !crErrmsg.isBlank() && !logErrors.contains(crErrmsg)) m.append("\n  ").append(crErrmsg);
        for (String line : logErrors) m.append("\n  ").append(line);
        if (log != null) m.append("\n  (CRIU's log: ").append(log).append(')');
        return m.toString();
    }

    /** The request that failed: {@code dump}, {@code restore}, {@code check}, … */
    public String request() {
        return request;
    }

    /** CRIU's {@code cr_errno}, 0 when it gave none. */
    public int crErrno() {
        return crErrno;
    }

    /** The {@code Error} lines of CRIU's log (without the harmless RLIMIT_NOFILE one), oldest first. */
    public List<String> logErrors() {
        return logErrors;
    }

    /** CRIU's log file for this request, when there is one. */
    public Optional<Path> log() {
        return Optional.ofNullable(log);
    }
}
