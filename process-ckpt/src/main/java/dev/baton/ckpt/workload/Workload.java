package dev.baton.ckpt.workload;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * A migratable process tree as recorded by {@link Workloads}: its root runs as PID 1 of a PID namespace of its own
 * (so a restore elsewhere cannot collide on PIDs), in a mount namespace of its own, with stdio in files.
 *
 * @param name       unique on this host
 * @param rootPid    the root process, as this host sees it (the PID to dump)
 * @param startTicks the root's start time in clock ticks since boot ({@code /proc/PID/stat} field 22): tells the
 *                   recorded process from a later one that reused its PID
 * @param netns      the named network namespace it runs in, or {@code null} for the caller's own
 * @param command    the command line it was started with
 * @param stdout     where its standard output goes
 * @param stderr     where its standard error goes
 * @param started    when it was first started (a restore keeps it)
 */
public record Workload(String name, long rootPid, long startTicks, String netns, List<String> command,
                       Path stdout, Path stderr, Instant started) {
    public Workload {
        Workloads.checkName(name);
        command = List.copyOf(command);
    }

    /** The same workload, now running as {@code rootPid} in {@code netns} (after a restore). */
    public Workload movedTo(long rootPid, long startTicks, String netns) {
        return new Workload(name, rootPid, startTicks, netns, command, stdout, stderr, started);
    }
}
