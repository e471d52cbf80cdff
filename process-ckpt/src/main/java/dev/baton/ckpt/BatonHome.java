package dev.baton.ckpt;

import java.nio.file.Path;

/**
 * Where Baton keeps its state on a host: {@code $BATON_HOME}, by default {@code /var/lib/baton}. Keys, workload
 * records and images live in subdirectories of it.
 */
public final class BatonHome {
    public static final String ENV = "BATON_HOME";
    static final Path DEFAULT = Path.of("/var/lib/baton");

    private BatonHome() {
    }

    public static Path dir() {
        String env = System.getenv(ENV);
        return env == null || env.isBlank() ? DEFAULT : Path.of(env);
    }

    /** A subdirectory of {@link #dir()}, e.g. {@code keys} or {@code workloads}. */
    public static Path resolve(String name) {
        return dir().resolve(name);
    }
}
