package dev.baton.ckpt.criu;

/** A raw waitpid(2) status, decoded. */
record ExitStatus(int raw) {
    boolean exited() {
        return (raw & 0x7f) == 0;
    }

    int exitCode() {
        return (raw >> 8) & 0xff;
    }

    boolean signaled() {
        return !exited() && (raw & 0x7f) != 0x7f;
    }

    int signal() {
        return raw & 0x7f;
    }

    boolean success() {
        return exited() && exitCode() == 0;
    }

    /** The shell's {@code $?}: the exit code, or 128 + the signal. */
    int shellCode() {
        return exited() ? exitCode() : 128 + signal();
    }

    @Override
    public String toString() {
        return exited() ? "exit " + exitCode() : signaled() ? "killed by signal " + signal() : "status " + raw;
    }
}
