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

    /** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or empty when there is no such process. */
    static OptionalLong startTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return OptionalLong.of(Long.parseLong(after[22 - 3]));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /** The process started at {@code startTicks} still runs: same PID, same start, not a zombie. */
    static boolean isAlive(long pid, long startTicks) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            char state = after[0].charAt(0); // field 3
            return state != 'Z' && state != 'X' && Long.parseLong(after[22 - 3]) == startTicks;
        } catch (IOException | RuntimeException gone) {
            return false;
        }
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
