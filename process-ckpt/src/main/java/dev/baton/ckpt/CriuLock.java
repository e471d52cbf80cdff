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
 */
record CriuLock(NetNamespace netns, String table) {
    private static final Pattern TABLE = Pattern.compile("inet (CRIU-[A-Za-z0-9-]+)");
    private static final Pattern RUN_ID = Pattern.compile("CRIU run id = ([A-Za-z0-9-]+)");

    /**
     * The lock table a dump made. Its log names it when the dump locked connections; a tree without any still
     * gets the table, named after the dump's run id (cut to nftables' name limit), so it is then looked up among
     * the namespace's tables by that id.
     */
    static Optional<CriuLock> fromDumpLog(NetNamespace netns, Path dumpLog) {
        String runId = null;
        try (var lines = Files.lines(dumpLog)) {
            for (String line : (Iterable<String>) lines::iterator) {
                Matcher table = TABLE.matcher(line);
                if (table.find()) return Optional.of(new CriuLock(netns, table.group(1)));
                Matcher id = RUN_ID.matcher(line);
                if (id.find()) runId = id.group(1); // swrk logs its own first, then the dump's
            }
        } catch (IOException | UncheckedIOException e) {
            return Optional.empty();
        }
        return runId == null ? Optional.empty() : byRunId(netns, runId);
    }

    private static Optional<CriuLock> byRunId(NetNamespace netns, String runId) {
        String full = "CRIU-" + runId;
        try {
            for (String line : netns.exec(null, "nft", "list", "tables").split("\n")) {
                String name = line.startsWith("table inet ") ? line.substring("table inet ".length()).strip() : "";
                if (name.length() > "CRIU-".length() && full.startsWith(name)) return Optional.of(new CriuLock(netns, name));
            }
        } catch (RuntimeException noNft) {
            // no table to find
        }
        return Optional.empty();
    }

    /** Deletes the table; a table that is gone already (restored in this namespace) is fine. */
    boolean release() {
        List<String> cmd = netns.command("nft", "delete", "table", "inet", table);
        try {
            Commands.run(cmd, null);
            return true;
        } catch (RuntimeException noSuchTable) {
            return false;
        }
    }
}
