package dev.baton.cli;

import dev.baton.netns.Commands;
import dev.baton.netns.NetNamespace;

import java.util.Optional;

/**
 * A throw-away network namespace ({@code ip netns add baton-doctor-PID}) for probes that must not touch the
 * host's network; {@link #close()} deletes it. Creating it is itself the network-namespace check.
 */
final class ScratchNetns implements AutoCloseable {
    private final String name;
    private final String error;

    private ScratchNetns(String name, String error) {
        this.name = name;
        this.error = error;
    }

    static ScratchNetns create() {
        String name = "baton-doctor-" + ProcessHandle.current().pid();
        try {
            Commands.ip(null, "netns add " + name + "\n");
            return new ScratchNetns(name, null);
        } catch (RuntimeException e) {
            return new ScratchNetns(null, e.getMessage());
        }
    }

    /** The namespace, or empty when it could not be made ({@link #error()} says why). */
    Optional<NetNamespace> netns() {
        return name == null ? Optional.empty() : Optional.of(NetNamespace.named(name));
    }

    String error() {
        return error;
    }

    @Override
    public void close() {
        if (name != null) Commands.ip(null, "netns delete " + name + "\n");
    }
}
