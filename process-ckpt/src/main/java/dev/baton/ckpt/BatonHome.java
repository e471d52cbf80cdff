package dev.baton.ckpt;

import java.nio.file.Path;

/**
 * Where Baton keeps its state on a host: {@code $BATON_HOME}, by default {@code /var/lib/baton}. Keys, workload
 * records and images live in subdirectories of it. The system property {@code baton.home}, when set, wins over
 * the environment: a JVM cannot change its own environment, so tools and tests that run the CLI in-process
 * point it elsewhere this way.
 */
public final class BatonHome {
    public static final String ENV = "BATON_HOME";
    public static final String PROPERTY = "baton.home";
    static final Path DEFAULT = Path.of("/var/lib/baton");

    private BatonHome() {
    }

    public static Path dir() {
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) return Path.of(property);
        String env = System.getenv(ENV);
        return env == null || env.isBlank() ? DEFAULT : Path.of(env);
    }

    /** A subdirectory of {@link #dir()}, e.g. {@code keys} or {@code workloads}. */
    public static Path resolve(String name) {
        return dir().resolve(name);
    }
}
