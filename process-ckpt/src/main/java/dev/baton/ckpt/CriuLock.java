package dev.baton.ckpt;

import dev.baton.netns.Commands;
import dev.baton.netns.NetNamespace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CRIU's nftables network lock: a table {@code inet CRIU-<id>} that drops the dumped connections' packets in the
 * source namespace. It outlives the dump on purpose — without it the source kernel, whose sockets are gone, would
 * answer the peers with RST — and CRIU removes it only when the tree is restored in that same namespace. After a
 * restore elsewhere it is Baton's to delete.
 *
 * @param netnsName the named network namespace of the source, or null for the caller's own — a name, because
 *                  the dumped process's {@code /proc/PID/ns/net} is gone with it
 */
record CriuLock(String netnsName, String table) {
    private static final Pattern TABLE = Pattern.compile("inet (CRIU-[A-Za-z0-9-]+)");
    private static final Pattern RUN_ID = Pattern.compile("CRIU run id = ([A-Za-z0-9-]+)");

    /**
     * The lock table a dump made. Its log names it when the dump locked connections; a tree without any still
     * gets the table, named after the dump's run id (cut to nftables' name limit), so it is then looked up among
     * the namespace's tables by that id.
     */
    static Optional<CriuLock> fromDumpLog(String netnsName, Path dumpLog) {
        String runId = null;
        try (var lines = Files.lines(dumpLog)) {
            for (String line : (Iterable<String>) lines::iterator) {
                Matcher table = TABLE.matcher(line);
                if (table.find()) return Optional.of(new CriuLock(netnsName, table.group(1)));
                Matcher id = RUN_ID.matcher(line);
                if (id.find()) runId = id.group(1); // swrk logs its own first, then the dump's
            }
        } catch (IOException | UncheckedIOException e) {
            return Optional.empty();
        }
        return runId == null ? Optional.empty() : byRunId(netnsName, runId);
    }

    private static Optional<CriuLock> byRunId(String netnsName, String runId) {
        NetNamespace netns = namespace(netnsName);
        String full = "CRIU-" + runId;
        try {
            for (String line : netns.exec(null, "nft", "list", "tables").split("\n")) {
                String name = line.startsWith("table inet ") ? line.substring("table inet ".length()).strip() : "";
                if (name.length() > "CRIU-".length() && full.startsWith(name)) {
                    return Optional.of(new CriuLock(netnsName, name));
                }
            }
        } catch (RuntimeException noNft) {
            // no table to find
        }
        return Optional.empty();
    }

    /** Writes this lock to {@code file}, for a later process to release ({@code baton ckpt unlock}). */
    void recordIn(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, (netnsName == null ? "-" : netnsName) + " " + table + "\n");
    }

    /** The lock recorded in {@code file}, if there is one. */
    static Optional<CriuLock> recordedIn(Path file) throws IOException {
        if (!Files.exists(file)) return Optional.empty();
        String[] f = Files.readString(file).strip().split(" ");
        return Optional.of(new CriuLock(f[0].equals("-") ? null : f[0], f[1]));
    }

    private static NetNamespace namespace(String name) {
        return name == null ? NetNamespace.ofProcess(ProcessHandle.current().pid()) : NetNamespace.named(name);
    }

    /** Deletes the table; false when it is gone already (a restore in this namespace makes CRIU delete it). */
    boolean release() {
        List<String> cmd = namespace(netnsName).command("nft", "delete", "table", "inet", table);
        try {
            Commands.run(cmd, null);
            return true;
        } catch (RuntimeException noSuchTable) {
            return false;
        }
    }
}
