package dev.baton.cli;

import dev.baton.netns.Commands;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Finding and running the system tools {@code baton doctor} looks at. */
final class Tools {
    /** Where root's tools live even when a user's PATH lacks them. */
    private static final List<String> SBIN = List.of("/usr/local/sbin", "/usr/sbin", "/sbin");

    private Tools() {}

    static Optional<Path> which(String tool) {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.concat(Stream.of(path.split(File.pathSeparator)), SBIN.stream())
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, tool))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** Runs {@code tool args...} and returns its standard output; throws with its stderr when it fails. */
    static String run(Path tool, String... args) {
        List<String> command = new ArrayList<>(List.of(tool.toString()));
        command.addAll(List.of(args));
        return Commands.run(command, null);
    }

    static String firstLine(String text) {
        return text.strip().lines().findFirst().orElse("");
    }
}
