package dev.baton.ckpt.workload;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/** Reads process facts from /proc: start time (to tell a PID from its reuse) and descendants. */
final class ProcTree {
    private ProcTree() {
    }

    /**
     * The start time of a live {@code pid} in clock ticks since boot (field 22 of /proc/PID/stat), which tells it
     * from a later process that reuses the PID; empty when there is no such process or it is a zombie.
     */
    static OptionalLong liveStartTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            char state = after[0].charAt(0); // field 3
            if (state == 'Z' || state == 'X') return OptionalLong.empty();
            return OptionalLong.of(Long.parseLong(after[22 - 3]));
        } catch (IOException | RuntimeException gone) {
            return OptionalLong.empty();
        }
    }

    /** The process started at {@code startTicks} still runs: same PID, same start, not a zombie. */
    static boolean isAlive(long pid, long startTicks) {
        OptionalLong now = liveStartTicks(pid);
        return now.isPresent() && now.getAsLong() == startTicks;
    }

    /** Direct children of {@code pid}, all threads included. */
    static List<Long> children(long pid) {
        List<Long> out = new ArrayList<>();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
            for (Path task : dir) {
                try {
                    for (String s : Files.readString(task.resolve("children")).trim().split(" ")) {
                        if (!s.isEmpty()) out.add(Long.parseLong(s));
                    }
                } catch (NoSuchFileException threadGone) {
                    // the thread exited while we listed
                }
            }
        } catch (IOException gone) {
            return List.of();
        }
        return out;
    }

    /** {@code pid} and all its descendants, parents first. */
    static List<Long> tree(long pid) {
        List<Long> out = new ArrayList<>();
        out.add(pid);
        for (int i = 0; i < out.size(); i++) out.addAll(children(out.get(i)));
        return out;
    }
}
