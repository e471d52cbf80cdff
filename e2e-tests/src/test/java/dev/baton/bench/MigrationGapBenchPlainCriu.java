package dev.baton.bench;

import dev.baton.ckpt.BatonHome;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.netns.Commands;
import dev.baton.netns.NetNamespace;
import dev.baton.netns.NetnsLab;
import dev.baton.netns.NetnsLab.Host;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The baseline lane of {@link MigrationGapBench}: plain CRIU moving the workload between two namespaces with its
 * IP, the way criu.md found that works. The workload's address is a service address of its own ({@code .200} of the
 * lab's /24, on {@code lo} of the host that runs it); the peer reaches it by a host route via that host, and talks
 * to the workload directly — no gateway. One move, on the {@code criu} command line with the options Baton's agent
 * uses (log level 4, the mount options Baton's workloads need):
 * <pre>
 *   hold      an nftables table on the source drops the service port both ways (one nft run)
 *   dump      criu dump --tcp-established --network-lock skip on the source (the process ends)
 *   add-ip    the service address on the target's lo
 *   restore   criu restore -d --tcp-established --network-lock skip in the target's namespace
 *   route     the peer's host route moves to the target ({@code ip route replace})
 * </pre>
 * Then, outside the peer's gap: the address and the hold leave the source. Moving the route before the restore
 * would draw a RST from the target (criu.md); until it moves, nothing reaches the target, so it needs no lock.
 *
 * <p>Why a hold of our own rather than CRIU's {@code --network-lock nftables}: with 1,000 connections and that lock,
 * {@code criu dump} 4.2.1 aborts here ({@code *** bit out of range 0 - FD_SETSIZE on fd_set ***}, glibc's check of a
 * select() on a descriptor above 1023; with {@code skip} the same dump passes), and its iptables lock runs
 * {@code iptables} once per connection. The hold is what CRIU's lock does (drop the connections' packets on the source) in one rule, and the
 * same in both cases; it goes up a few milliseconds before CRIU's would (CRIU locks once the tree is frozen).
 */
final class MigrationGapBenchPlainCriu implements MigrationGapBench.Lane {
    private static final int SERVICE_INDEX = 200;
    private static final String HOLD_TABLE = "baton_bench_hold";
    /** Drops the service port both ways on the source from before the dump until the route has moved. */
    private static final String HOLD = """
            table inet %s {
              chain in { type filter hook input priority -200; tcp dport %%d drop; }
              chain out { type filter hook output priority -200; tcp sport %%d drop; }
            }
            """.formatted(HOLD_TABLE);
    private final Path work;
    /** Where CRIU writes: the storage Baton's own images use by default (memory), so both lanes write alike. */
    private final Path imagesRoot;
    private final NetnsLab lab;
    private final Workloads workloads;
    private final InetAddress service;
    private Workload workload;
    private String at = "a";
    private int moves;

    private MigrationGapBenchPlainCriu(Path work, NetnsLab lab) {
        this.work = work;
        this.imagesRoot = BatonHome.defaultImages(work);
        this.lab = lab;
        this.workloads = new Workloads(work.resolve("workloads"));
        this.service = lab.address(SERVICE_INDEX);
    }

    /** The lab (peer, a, b), the service address on a, the peer's route to it, and the echo workload on a. */
    static MigrationGapBenchPlainCriu create(Path work) throws Exception {
        NetnsLab lab = NetnsLab.create("peer", "a", "b");
        MigrationGapBenchPlainCriu lane = new MigrationGapBenchPlainCriu(work, lab);
        try {
            Commands.ip(lane.host("a").nsName(), "addr add " + lane.service.getHostAddress() + "/32 dev lo\n");
            Commands.ip(lane.host("peer").nsName(), "route add " + lane.service.getHostAddress() + "/32 via "
                    + lane.host("a").address().getHostAddress() + " dev eth0\n");
            lane.workload = lane.workloads.start(MigrationGapBench.WORKLOAD,
                    MigrationGapBenchEcho.command(MigrationGapBench.PORT), lane.host("a").nsName());
            MigrationGapBenchEcho.awaitListening(lane.workload);
            return lane;
        } catch (Exception | Error e) {
            lane.close();
            throw e;
        }
    }

    private Host host(String name) {
        return lab.host(name);
    }

    @Override
    public String name() {
        return "plain CRIU, same IP moved";
    }

    @Override
    public InetSocketAddress target() {
        return new InetSocketAddress(service, MigrationGapBench.PORT);
    }

    @Override
    public NetNamespace peerNetns() {
        return host("peer").netns();
    }

    @Override
    public String at() {
        return at;
    }

    @Override
    public Workload workload() {
        return workload;
    }

    @Override
    public MigrationGapBench.Move migrate(String to) throws Exception {
        Host from = host(at), dest = host(to);
        Path images = Files.createDirectories(imagesRoot.resolve("images-" + ++moves));
        try {
            Map<String, Double> phases = new LinkedHashMap<>();
            String ip = service.getHostAddress();
            long t0 = System.nanoTime();
            from.netns().exec(HOLD.formatted(MigrationGapBench.PORT, MigrationGapBench.PORT), "nft", "-f", "-");
            long tHold = System.nanoTime();
            List<String> dump = new ArrayList<>(List.of("dump", "-t", Long.toString(workload.rootPid()), "-D",
                    images.toString(), "-o", "dump.log"));
            dump.addAll(common());
            CheckpointLab.criu(from, images.resolve("dump.log"), dump);
            long t1 = System.nanoTime();
            Commands.ip(dest.nsName(), "addr add " + ip + "/32 dev lo\n");
            long t2 = System.nanoTime();
            Path pidFile = images.resolve("restored.pid");
            List<String> restore = new ArrayList<>(List.of("restore", "-D", images.toString(), "-o", "restore.log",
                    "--root", "/", "-d", "--pidfile", pidFile.toString()));
            restore.addAll(common());
            CheckpointLab.criu(dest, images.resolve("restore.log"), restore);
            long t3 = System.nanoTime();
            Commands.ip(host("peer").nsName(), "route replace " + ip + "/32 via " + dest.address().getHostAddress()
                    + " dev eth0\n");
            long t4 = System.nanoTime();
            workload = workloads.recordMoved(workload, Long.parseLong(Files.readString(pidFile).strip()), dest.nsName());
            at = to;
            Commands.ip(from.nsName(), "addr del " + ip + "/32 dev lo\n");
            from.netns().exec(null, "nft", "delete", "table", "inet", HOLD_TABLE);
            int locks = criuLocks(from);
            long t5 = System.nanoTime();
            phases.put("hold", ms(t0, tHold));
            phases.put("dump", ms(tHold, t1));
            phases.put("add-ip", ms(t1, t2));
            phases.put("restore", ms(t2, t3));
            phases.put("route", ms(t3, t4));
            phases.put("cleanup", ms(t4, t5));
            if (locks > 0) throw new IllegalStateException(locks + " CRIU lock tables on " + from.name() + " after the move");
            return new MigrationGapBench.Move(phases, ms(t0, t4), "");
        } finally {
            CheckpointLab.deleteTree(images);
        }
    }

    private static List<String> common() {
        List<String> args = new ArrayList<>(List.of("-v4", "--tcp-established", "--network-lock", "skip"));
        args.addAll(CheckpointLab.MOUNT_OPTIONS);
        return args;
    }

    /** CRIU's lock tables ({@code inet CRIU-…}) in {@code host}'s namespace: none expected with the lock skipped. */
    private static int criuLocks(Host host) {
        return (int) host.netns().exec(null, "nft", "list", "tables").lines().filter(l -> l.contains("CRIU")).count();
    }

    private static double ms(long from, long to) {
        return (to - from) / 1e6;
    }

    /** Ends the workload wherever it runs, then deletes the lab's namespaces (CRIU's tables go with them). */
    @Override
    public void close() {
        try {
            for (Workload w : workloads.list()) {
                workloads.kill(w.name());
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (Workloads.isRunning(w) && System.nanoTime() < deadline) CheckpointLab.pause(5);
            }
        } catch (RuntimeException e) {
            System.err.println("could not end the baseline's workload: " + e.getMessage());
        } finally {
            CheckpointLab.deleteTree(imagesRoot);
            lab.close();
        }
    }
}
