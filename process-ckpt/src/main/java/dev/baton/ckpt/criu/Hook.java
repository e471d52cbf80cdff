package dev.baton.ckpt.criu;

import java.util.Arrays;
import java.util.Optional;

/** The notification names CRIU 4.2 sends (criu/action-scripts.c) that {@link CriuNotify} has a method for. */
enum Hook {
    PRE_DUMP("pre-dump"),
    NETWORK_LOCK("network-lock"),
    POST_DUMP("post-dump"),
    PRE_RESTORE("pre-restore"),
    SETUP_NAMESPACES("setup-namespaces"),
    POST_SETUP_NAMESPACES("post-setup-namespaces"),
    POST_RESTORE("post-restore"),
    NETWORK_UNLOCK("network-unlock"),
    PRE_RESUME("pre-resume"),
    POST_RESUME("post-resume");

    final String criuName;

    Hook(String criuName) {
        this.criuName = criuName;
    }

    static Optional<Hook> named(String name) {
        return Arrays.stream(values()).filter(h -> h.criuName.equals(name)).findFirst();
    }

    /** Calls the method of {@code notify} for this point; {@code pid} is CRIU's, 0 when it sent none. */
    void call(CriuNotify notify, int pid) throws Exception {
        switch (this) {
            case PRE_DUMP -> notify.preDump();
            case NETWORK_LOCK -> notify.networkLock();
            case POST_DUMP -> notify.postDump();
            case PRE_RESTORE -> notify.preRestore();
            case SETUP_NAMESPACES -> notify.setupNamespaces(pid);
            case POST_SETUP_NAMESPACES -> notify.postSetupNamespaces();
            case POST_RESTORE -> notify.postRestore(pid);
            case NETWORK_UNLOCK -> notify.networkUnlock();
            case PRE_RESUME -> notify.preResume();
            case POST_RESUME -> notify.postResume();
        }
    }
}
