package dev.baton.ckpt;

import dev.baton.ckpt.agent.Hooks;
import dev.baton.ckpt.criu.CriuNotify;

/** Passes CRIU's notifications on to the caller's {@link Hooks}, under CRIU's own names. */
final class HookRelay implements CriuNotify {
    private final Hooks hooks;
    private final long pid;

    HookRelay(Hooks hooks, long pid) {
        this.hooks = hooks;
        this.pid = pid;
    }

    @Override
    public void preDump() throws Exception {
        hooks.reached("pre-dump", pid);
    }

    @Override
    public void networkLock() throws Exception {
        hooks.reached("network-lock", pid);
    }

    @Override
    public void postDump() throws Exception {
        hooks.reached("post-dump", pid);
    }

    @Override
    public void preRestore() throws Exception {
        hooks.reached("pre-restore", 0);
    }

    @Override
    public void setupNamespaces(int restoredPid) throws Exception {
        hooks.reached("setup-namespaces", restoredPid);
    }

    @Override
    public void postSetupNamespaces() throws Exception {
        hooks.reached("post-setup-namespaces", 0);
    }

    @Override
    public void postRestore(int restoredPid) throws Exception {
        hooks.reached("post-restore", restoredPid);
    }

    @Override
    public void networkUnlock() throws Exception {
        hooks.reached("network-unlock", 0);
    }

    @Override
    public void preResume() throws Exception {
        hooks.reached("pre-resume", 0);
    }

    @Override
    public void postResume() throws Exception {
        hooks.reached("post-resume", 0);
    }
}
