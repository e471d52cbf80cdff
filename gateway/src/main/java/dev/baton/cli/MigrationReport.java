package dev.baton.cli;

import dev.baton.gateway.migrate.MigrationResult;
import dev.baton.gateway.migrate.MigrationResult.FlowGap;
import dev.baton.gateway.migrate.MigrationView;

import java.io.PrintWriter;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * A migration as {@code baton migrate} and {@code baton gateway migrations ID} print it: its events as they come,
 * then a summary.
 * <pre>
 *   migrating echo from a to b (migration m-1)
 *     +   0.4 ms  plan       2 flows, target b at 198.18.0.3:7441
 *     +  12.3 ms  freeze     2 flows frozen
 *   migration m-1 SUCCEEDED
 *     phases   plan 0.4 ms, freeze 0.3 ms, dump 14.2 ms, restore 21.5 ms, thaw 0.2 ms
 *     freeze   36.6 ms, 2 flows, 1536 bytes held
 *     gaps     longest up 38.2 ms (flow 1, 198.18.0.1:40312), down 40.5 ms (flow 2, 198.18.0.1:40318)
 *     wire     0 RST, 0 holes, 0 dups in 1234 packets (/var/lib/baton/migrations/m-1.pcap)
 * </pre>
 */
final class MigrationReport {
    private MigrationReport() {
    }

    static void header(MigrationView v, PrintWriter out) {
        out.printf("migrating %s from %s to %s (migration %s)%n", v.workload(), v.from(), v.to(), v.id());
        out.flush();
    }

    /** Prints the events after the first {@code printed} and returns how many are printed now. */
    static int newEvents(MigrationView v, int printed, PrintWriter out) {
        List<MigrationView.Event> events = v.events();
        for (int i = printed; i < events.size(); i++) out.println(event(events.get(i)));
        out.flush();
        return Math.max(printed, events.size());
    }

    /** {@code "  +  12.3 ms  freeze     12 flows frozen"} */
    static String event(MigrationView.Event e) {
        return String.format("  + %5.1f ms  %-10s %s", e.atMs(), e.phase(), e.message());
    }

    static void summary(MigrationView v, PrintWriter out) {
        out.printf("migration %s %s%n", v.id(), v.status());
        MigrationResult r = v.result();
        if (r != null) {
            out.printf("  phases   %s%n", LiveHooks.phases(r.phasesMs()));
            out.printf("  freeze   %.1f ms, %d flow%s, %d bytes held%n", r.freezeMs(), r.flows(),
                    r.flows() == 1 ? "" : "s", r.heldBytes());
            out.printf("  gaps     %s%n", gaps(r.longestGaps()));
            MigrationResult.WireSummary w = r.audit();
            out.printf("  wire     %s%n", w == null ? "no capture" : String.format(
                    "%d RST, %d holes, %d dups in %d packets (%s)", w.rst(), w.holes(), w.dups(), w.packets(), w.pcap()));
        }
        if (v.error() != null) out.printf("  error    %s%n", v.error());
        out.flush();
    }

    /** The longest gap each direction, the max over the flows, and whose it was. */
    static String gaps(List<FlowGap> gaps) {
        if (gaps.isEmpty()) return "- (no flows)";
        return "longest up " + longest(gaps, FlowGap::upMs, true) + ", down " + longest(gaps, FlowGap::downMs, false);
    }

    private static String longest(List<FlowGap> gaps, ToDoubleFunction<FlowGap> direction, boolean up) {
        FlowGap g = gaps.stream().max(Comparator.comparingDouble(direction)).orElseThrow();
        return String.format("%.1f ms (flow %d, %s)", up ? g.upMs() : g.downMs(), g.flow(), g.peer());
    }
}
