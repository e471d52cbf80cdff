package dev.baton.ckpt;

import dev.baton.netns.Commands;
import dev.baton.netns.NetNamespace;

import java.io.IOException;
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

    /** The lock table a dump made, read from its CRIU log. */
    static Optional<CriuLock> fromDumpLog(NetNamespace netns, Path dumpLog) {
        try (var lines = Files.lines(dumpLog)) {
            return lines.map(TABLE::matcher).filter(Matcher::find).findFirst().map(m -> new CriuLock(netns, m.group(1)));
        } catch (IOException e) {
            return Optional.empty();
        }
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
