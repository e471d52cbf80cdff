package dev.baton.ckpt.criu;

import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;

import java.util.concurrent.CompletableFuture;

/**
 * The root of a restored process tree. CRIU restores it as a sibling of {@code criu swrk} ({@code rst_sibling}),
 * so it is a child of this JVM: a platform thread waits for it, so that it never lingers as a zombie, and
 * {@link #onExit()} completes when it ends. When this JVM exits first, the process is re-parented as usual.
 */
public final class RestoredProcess {
    private final int pid;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    private RestoredProcess(int pid) {
        this.pid = pid;
    }

    /** Starts reaping {@code pid}, a child of this JVM. */
    static RestoredProcess adopt(int pid) {
        RestoredProcess p = new RestoredProcess(pid);
        Thread.ofPlatform().daemon().name("criu-restored-" + pid).start(p::reap);
        return p;
    }

    /**
     * Kills and reaps {@code pid} if it is a child of this JVM (the root of a restore that failed); leaves any
     * other process alone.
     */
    static void discard(int pid) {
        try {
            if (Libc.waitpid(pid, Libc.WNOHANG).pid() == pid) return; // already ended, now reaped
        } catch (ErrnoException e) {
            return; // ECHILD: not ours (or already reaped), so not ours to kill
        }
        adopt(pid).kill();
    }

    public int pid() {
        return pid;
    }

    /** Completes with the shell-style exit status (exit code, or 128 + signal) once the process has ended. */
    public CompletableFuture<Integer> onExit() {
        return exit.copy();
    }

    public boolean isAlive() {
        return !exit.isDone();
    }

    /** SIGKILL to the root (a PID 1 of a PID namespace ignores SIGTERM); the rest of its namespace dies with it. */
    public void kill() {
        if (exit.isDone()) return;
        try {
            Libc.kill(pid, Libc.SIGKILL);
        } catch (ErrnoException e) {
            if (e.errno() != Libc.ESRCH) throw e;
        }
    }

    private void reap() {
        while (true) {
            try {
                exit.complete(new ExitStatus(Libc.waitpid(pid, 0).status()).shellCode());
                return;
            } catch (ErrnoException e) {
                if (e.errno() == Libc.EINTR) continue;
                exit.completeExceptionally(new IllegalStateException("cannot wait for restored process " + pid, e));
                return;
            }
        }
    }

    @Override
    public String toString() {
        return "restored process " + pid + (exit.isDone() ? " (ended)" : "");
    }
}
