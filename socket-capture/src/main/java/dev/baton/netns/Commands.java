package dev.baton.netns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the system tools Baton drives ({@code ip}, {@code nft}, …) and turns their failures into clear errors. */
public final class Commands {
    private static final int TIMEOUT_SECONDS = 30;

    private Commands() {}

    /**
     * Runs {@code command} to completion ({@value #TIMEOUT_SECONDS} s at most), feeding it {@code stdin} when not
     * null, and returns its standard output.
     *
     * @throws NetnsException with the command's standard error when it fails or times out
     */
    public static String run(List<String> command, String stdin) {
        try {
            Path err = Files.createTempFile("baton-cmd", ".err");
            try {
                Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
                try (var in = p.getOutputStream()) {
                    if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new NetnsException(String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s");
                }
                if (p.exitValue() != 0) {
                    throw new NetnsException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): "
                            + Files.readString(err).strip());
                }
                return out;
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0) + " (is it installed? scripts/install-deps.sh)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetnsException("interrupted running " + command.get(0));
        }
    }

    /**
     * Runs {@code ip -batch -} with {@code commands}, inside the named namespace when {@code ns} is not null.
     */
    public static void ip(String ns, String commands) {
        run(ns == null ? List.of("ip", "-batch", "-") : List.of("ip", "-n", ns, "-batch", "-"), commands);
    }
}
