package dev.baton.demo;

import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.demo.ProcessMigrationScenario.Tick;
import dev.baton.gateway.migrate.MigrationResult;
import dev.baton.gateway.migrate.MigrationView;
import dev.baton.netns.NetnsLab;
import dev.baton.socket.StateJson;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Act 3 of {@code baton demo}: the mission. EchoCounter runs on host a behind Baton's gateway; two peers that only
 * know the gateway — an unmodified {@code socat} from Debian and a checked stream endpoint — keep streaming while
 * {@code baton migrate} moves the server a → b → a (each host with its own IP): the gateway freezes the flows,
 * agent a checkpoints with CRIU, the gateway's sockets are rebuilt aimed at b, the sealed bundle goes to agent b,
 * which restores it with the address rewritten, and the flows thaw. The peers' connections are never touched.
 */
public final class GatewayMigrationDemo {
    private static final int RATE = 100_000;
    private static final List<String> MOVES = List.of("b", "a");

    private GatewayMigrationDemo() {}

    /** Runs the act; returns the exit code (0: every byte verified, no RST, the counters went on). */
    public static int run(PrintWriter out, Duration duration) throws Exception {
        out.println("Act 3: the mission. A server with live clients moves to a host with another IP behind Baton's");
        out.println("gateway; the clients — an unmodified socat and a checked stream — only ever talk to the gateway.");
        out.println();
        Path home = Files.createTempDirectory("baton-demo-gateway-");
        GatewayLab lab = GatewayLab.create(home);
        Thread cleanUp = new Thread(() -> close(lab, home), "demo clean-up");
        Runtime.getRuntime().addShutdownHook(cleanUp);
        try {
            for (NetnsLab.Host h : lab.lab.hosts()) {
                out.printf("  host %-5s %-15s (network namespace %s)%n", h.name(), h.address().getHostAddress(),
                        h.nsName());
            }
            Workload w = lab.startWorkload();
            lab.startGateway();
            StockPeer socat = lab.connectStockPeer(RATE);
            EndpointProcess stream = lab.connectPeer(RATE);
            out.printf("%n  EchoCounter (pid %d) runs on a; the gateway serves it at %s (baton gateway --config, its"
                            + "%n  admin API on the gateway's loopback). Peers: socat (pid %d) and a stream endpoint"
                            + " (pid %d),%n  %d kB/s each, every echoed byte checked.%n%n",
                    w.rootPid(), StateJson.format(lab.service()), socat.pid(), stream.pid(), RATE / 1000);
            long pauseMillis = Math.max(500, duration.toMillis() / (MOVES.size() + 1));
            boolean clean = true;
            for (String to : MOVES) {
                Thread.sleep(pauseMillis);
                socat.resetGap();
                stream.send("RESET");
                out.printf("  $ baton migrate --workload %s --to %s%n", GatewayLab.WORKLOAD, to);
                int exit = lab.migrateLive(to, line -> out.println("    " + line));
                out.flush();
                clean &= exit == 0;
                Thread.sleep(300);
                StockPeer.Stats s = socat.stats();
                EndpointProcess.Stats e = stream.stats();
                out.printf("  peers: socat longest wait %.1f ms, %s; stream endpoint longest wait %.1f ms, %s%n%n",
                        s.longestGapMs(), s.clean() ? "every byte right" : "WRONG BYTE at " + s.mismatchAt(),
                        e.longestGapMs(), e.clean() ? "every byte right" : "FAILED: " + e);
                clean &= s.clean() && e.clean();
            }
            Thread.sleep(pauseMillis);
            Workload last = lab.workload(MOVES.getLast());
            List<Tick> ticks = ProcessMigrationScenario.awaitTicks(last, ProcessMigrationScenario.ticks(last).size(), 2);
            boolean counted = ProcessMigrationScenario.countsOn(ticks) && ProcessMigrationScenario.startedOnce(last);
            long rst = 0;
            for (MigrationView m : lab.migrations()) {
                MigrationResult.WireSummary audit = m.result() == null ? null : m.result().audit();
                if (audit != null) rst += audit.rst() + (audit.holes() > 0 ? 1 : 0);
            }
            StockPeer.Stats s = socat.drain(10_000);
            EndpointProcess.Stats e = stream.stats();
            boolean running = Workloads.isRunning(last);
            out.printf("  EchoCounter runs on %s (pid %d), tick %d, %d bytes echoed — counted in memory since it started"
                            + " on a%s%n", MOVES.getLast(), last.rootPid(), ticks.getLast().n(), ticks.getLast().echoed(),
                    counted ? "" : " (COUNTERS DID NOT GO ON)");
            out.printf("  socat: %,d bytes sent, %,d echoed back, %s%n", s.fed(), s.echoed(),
                    s.clean() && s.echoed() == s.fed() ? "all verified" : "NOT ALL VERIFIED");
            out.printf("  stream endpoint: %,d bytes sent, %,d echoed back, %s%n", e.written(), e.read(),
                    e.clean() ? "all verified" : "FAILED");
            out.printf("  on the wire at the gateway (both sides, every migration): %d RST or lost bytes%n", rst);
            clean &= counted && running && rst == 0 && s.clean() && s.echoed() == s.fed() && e.clean();
            out.println(clean ? "OK: the clients kept their connections through every move, byte for byte."
                    : "FAILED: see above.");
            return clean ? 0 : 1;
        } finally {
            close(lab, home);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanUp);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs (or ran) anyway
            }
        }
    }

    private static void close(GatewayLab lab, Path home) {
        try {
            lab.close();
        } catch (Exception e) {
            // best effort: the lab's namespaces go with it
        }
        try (var files = Files.walk(home)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception e) {
            // a temporary directory
        }
    }
}
