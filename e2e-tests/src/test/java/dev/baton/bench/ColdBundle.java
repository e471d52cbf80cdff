package dev.baton.bench;

import dev.baton.ckpt.bundle.BundleReader;
import dev.baton.ckpt.bundle.BundleWriter;
import dev.baton.ckpt.bundle.Manifest;
import dev.baton.ckpt.bundle.Progress;
import dev.baton.ckpt.keys.ClusterKeys;

import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One seal or one open in a JVM that has done nothing else, as {@code baton ckpt dump} and
 * {@code baton ckpt restore} do (each a fresh JVM): the JIT has not compiled AES-GCM yet. Prints the milliseconds
 * of the seal or open itself (JVM start-up and key loading excluded). Run by {@link CheckpointBench}.
 * <pre>
 *   seal IMAGE_DIR KEYS_DIR BUNDLE      open BUNDLE KEYS_DIR TARGET_DIR
 * </pre>
 */
public final class ColdBundle {
    public static void main(String[] args) throws Exception {
        ClusterKeys keys = ClusterKeys.load(Path.of(args[2]));
        long start = System.nanoTime();
        switch (args[0]) {
            case "seal" -> {
                Manifest partial = Manifest.of("?", System.getProperty("os.version"), null, List.of());
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(Path.of(args[3])), 1 << 16)) {
                    BundleWriter.seal(Path.of(args[1]), partial, keys, out, Progress.NONE);
                }
            }
            case "open" -> {
                try (InputStream in = Files.newInputStream(Path.of(args[1]))) {
                    BundleReader.open(in, keys, Path.of(args[3]), Progress.NONE);
                }
            }
            default -> throw new IllegalArgumentException("seal or open, not " + args[0]);
        }
        System.out.println((System.nanoTime() - start) / 1e6);
    }

    /** Runs {@code args} in a new JVM with this one's class path and returns the milliseconds it printed. */
    static double inFreshJvm(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(() -> new IllegalStateException("no java command")),
                "--enable-native-access=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), ColdBundle.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("ColdBundle " + args[0] + " did not end within 300 s");
        }
        if (p.exitValue() != 0) throw new IllegalStateException("ColdBundle " + args[0] + " failed: " + out);
        return Double.parseDouble(out.lines().reduce((a, b) -> b).orElseThrow());
    }
}
