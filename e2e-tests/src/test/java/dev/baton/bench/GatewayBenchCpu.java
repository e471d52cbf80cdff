package dev.baton.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How quiet the machine was while the benchmark measured: CPU time spent by processes other than the benchmark's
 * own, from {@code /proc/stat} (user, nice, system, steal) less the benchmark processes' utime + stime. Interrupt
 * and softirq time is left out on both sides, since the benchmark's own packets are processed there.
 */
record GatewayBenchCpu(long busyTicks, long ownTicks, long nanos) {
    /** USER_HZ, the unit of both files on Linux. */
    private static final double TICKS_PER_SECOND = 100;

    /** A reading now; {@code pids} are the benchmark's processes (their threads included). */
    static GatewayBenchCpu read(int... pids) throws IOException {
        String[] cpu = Files.readString(Path.of("/proc/stat")).lines().findFirst().orElseThrow().split("\\s+");
        // cpu user nice system idle iowait irq softirq steal ...
        long busy = Long.parseLong(cpu[1]) + Long.parseLong(cpu[2]) + Long.parseLong(cpu[3]) + Long.parseLong(cpu[8]);
        long own = 0;
        for (int pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
                // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                own += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            } catch (IOException gone) {
                // a process that ended meanwhile counts as nothing
            }
        }
        return new GatewayBenchCpu(busy, own, System.nanoTime());
    }

    /** The share of all cores (0..1) that other processes used between {@code this} and {@code later}. */
    double othersShareUntil(GatewayBenchCpu later) {
        double seconds = (later.nanos - nanos) / 1e9;
        double others = (later.busyTicks - busyTicks) - (later.ownTicks - ownTicks);
        return Math.max(0, others / TICKS_PER_SECOND / seconds / Runtime.getRuntime().availableProcessors());
    }
}
