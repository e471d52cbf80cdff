package dev.baton.cli;

import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.keys.KeysException;

import java.nio.file.Path;

/** This host's cluster keys, for every command that seals, opens or talks TLS: {@code --keys DIR} or the default. */
final class HostKeys {
    static final String HELP = "This host's key directory (default: $BATON_HOME/keys, BATON_HOME defaulting to "
            + "/var/lib/baton).";

    private HostKeys() {
    }

    static ClusterKeys load(Path dir) {
        Path from = dir != null ? dir : ClusterKeys.defaultDir();
        try {
            return ClusterKeys.load(from);
        } catch (KeysException e) {
            String hint = e.getMessage().contains("baton keys") ? ""
                    : " (create a cluster with 'baton keys init', or copy this host's identity made by "
                    + "'baton keys issue')";
            throw new CommandFailure("cannot load this host's cluster keys: " + e.getMessage() + hint, e);
        }
    }
}
