package dev.baton.ckpt.agent;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A caller's hooks that record "host point" of each hook and "host step done/total" of each progress event. */
class RecordingHooks implements Hooks {
    final List<String> hooks = new CopyOnWriteArrayList<>();
    final List<String> progress = new CopyOnWriteArrayList<>();

    @Override
    public void reached(String host, String point, long pid) throws Exception {
        hooks.add(host + " " + point);
        answer(host, point, pid);
    }

    @Override
    public void progress(String host, String step, long done, long total) {
        progress.add(host + " " + step + " " + done + "/" + total);
    }

    /** What the caller does at a hook before it lets the operation go on (throw to abort). */
    void answer(String host, String point, long pid) throws Exception {
    }
}
