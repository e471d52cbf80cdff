package dev.baton.ckpt;

import dev.baton.ckpt.agent.Hooks;
import dev.baton.ckpt.criu.CriuNotify;

/**
 * Passes CRIU's notifications on to the caller's {@link Hooks}, under CRIU's own names. CRIU sends no PID with the
 * dump's points: those carry the dumped workload's root.
 */
final class HookRelay implements CriuNotify {
    private final Hooks hooks;
    private final long defaultPid;

    HookRelay(Hooks hooks, long defaultPid) {
        this.hooks = hooks;
        this.defaultPid = defaultPid;
    }

    @Override
    public void notified(String hook, int pid) throws Exception {
        hooks.reached(hook, pid != 0 ? pid : defaultPid);
    }
}
