package dev.baton.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's effective capabilities, and the up-front check of commands that cannot work without root. */
final class Privileges {
    static final int CAP_NET_ADMIN = 12, CAP_SYS_PTRACE = 19, CAP_SYS_ADMIN = 21;

    private Privileges() {}

    /**
     * Fails with one clear line unless this process may make and enter network namespaces and use TCP_REPAIR
     * and {@code pidfd_getfd} — rather than with whichever system call happens to be refused first.
     */
    static void requireRoot(String command, String because) {
        if (has(CAP_NET_ADMIN) && has(CAP_SYS_ADMIN) && has(CAP_SYS_PTRACE)) return;
        throw new CommandFailure(command + " needs root: " + because
                + " (CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_SYS_PTRACE); run it as root");
    }

    static boolean has(int bit) {
        return (effective() >>> bit & 1) != 0;
    }

    /** CapEff of this process, from /proc/self/status. */
    private static long effective() {
        try {
            return Files.readString(Path.of("/proc/self/status")).lines()
                    .filter(l -> l.startsWith("CapEff:"))
                    .map(l -> Long.parseUnsignedLong(l.substring("CapEff:".length()).strip(), 16))
                    .findFirst().orElse(0L);
        } catch (IOException e) {
            return 0L;
        }
    }
}
