package dev.baton.ckpt;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where Baton keeps its state on a host: {@code $BATON_HOME}, by default {@code /var/lib/baton}. Keys and workload
 * records live in subdirectories of it; checkpoint images in memory when the host has {@code /dev/shm}
 * ({@link #images()}). The system property {@code baton.home}, when set, wins over
 * the environment: a JVM cannot change its own environment, so tools and tests that run the CLI in-process
 * point it elsewhere this way.
 */
public final class BatonHome {
    public static final String ENV = "BATON_HOME";
    public static final String PROPERTY = "baton.home";
    /** Where images go instead of the default (see {@link #images()}): environment, then system property. */
    public static final String IMAGES_ENV = "BATON_IMAGES";
    public static final String IMAGES_PROPERTY = "baton.images";
    static final Path DEFAULT = Path.of("/var/lib/baton");
    private static final Path SHM = Path.of("/dev/shm");

    private BatonHome() {
    }

    public static Path dir() {
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) return Path.of(property);
        String env = System.getenv(ENV);
        return env == null || env.isBlank() ? DEFAULT : Path.of(env);
    }

    /**
     * Where checkpoint images live while a dump or a restore needs them: {@code baton.images} or
     * {@code $BATON_IMAGES} when set; else a directory of this home's own in {@code /dev/shm} (memory) when there is
     * one; else {@code $BATON_HOME/images}. Images are transient — kept from the dump until they are sealed or
     * shipped, and from the bundle's arrival until CRIU restored them — and a dump of many connections is thousands
     * of small files: on a journaling disk each file created cost ~0.3 ms under load (a second for 1,000
     * connections), and the page cache's writeback slowed CRIU's restore of large images. In memory they cost RAM
     * the size of the images while they exist.
     */
    public static Path images() {
        String property = System.getProperty(IMAGES_PROPERTY);
        if (property != null && !property.isBlank()) return Path.of(property);
        String env = System.getenv(IMAGES_ENV);
        if (env != null && !env.isBlank()) return Path.of(env);
        return defaultImages(dir());
    }

    /** {@link #images()} of the home {@code home} when neither setting is given. */
    public static Path defaultImages(Path home) {
        if (Files.isDirectory(SHM) && Files.isWritable(SHM)) return SHM.resolve("baton-images-" + tag(home));
        return home.resolve("images");
    }

    /** A short name for a home directory: several homes (hosts of a test lab) may share one machine. */
    private static String tag(Path home) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(
                    home.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** A subdirectory of {@link #dir()}, e.g. {@code keys} or {@code workloads}. */
    public static Path resolve(String name) {
        return dir().resolve(name);
    }
}
