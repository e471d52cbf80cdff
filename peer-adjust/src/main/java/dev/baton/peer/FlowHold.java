package dev.baton.peer;

import dev.baton.netns.NetNamespace;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Holds a set of TCP flows still on the wire: an nftables table in one network namespace drops every packet
 * to or from the given local endpoints, in and out, from the moment {@link #install} returns until
 * {@link #close()}. Both are one atomic nftables transaction, whatever the number of flows.
 *
 * <p>Why a packet filter: a socket in TCP_REPAIR mode is not silent — it still ACKs, transmits on ACKs and
 * retransmits — so a consistent snapshot of both ends of a connection, and a move without RST, need the
 * flow's packets dropped while it happens. TCP treats the drops as loss and retransmits after release.
 *
 * <p>Tables are named {@code baton_hold_<pid>_<n>}; {@link #sweepOrphans} removes those of dead processes.
 */
public final class FlowHold implements AutoCloseable {
    static final String TABLE_PREFIX = "baton_hold_";
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final NetNamespace netns;
    private final String table;
    private boolean released;

    private FlowHold(NetNamespace netns, String table) {
        this.netns = netns;
        this.table = table;
    }

    /**
     * Starts dropping all packets of the flows whose local end (in {@code netns}) is one of {@code endpoints}.
     *
     * @throws dev.baton.netns.NetnsException when nftables refuses (not installed, no CAP_NET_ADMIN)
     */
    public static FlowHold install(NetNamespace netns, Collection<InetSocketAddress> endpoints) {
        if (endpoints.isEmpty()) throw new IllegalArgumentException("no flows to hold");
        String table = TABLE_PREFIX + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        netns.exec(script(table, endpoints), "nft", "-f", "-");
        return new FlowHold(netns, table);
    }

    static String script(String table, Collection<InetSocketAddress> endpoints) {
        List<InetSocketAddress> v4 = endpoints.stream().filter(e -> e.getAddress() instanceof Inet4Address).toList();
        List<InetSocketAddress> v6 = endpoints.stream().filter(e -> !(e.getAddress() instanceof Inet4Address)).toList();
        StringBuilder s = new StringBuilder("table inet ").append(table).append(" {\n");
        s.append(set("v4", "ipv4_addr", v4)).append(set("v6", "ipv6_addr", v6));
        // Priority -300: before conntrack and any filter the host has, so nothing sees a held packet.
        s.append("  chain in {\n    type filter hook input priority -300; policy accept;\n")
                .append("    ip daddr . tcp dport @v4 drop\n    ip6 daddr . tcp dport @v6 drop\n  }\n");
        s.append("  chain out {\n    type filter hook output priority -300; policy accept;\n")
                .append("    ip saddr . tcp sport @v4 drop\n    ip6 saddr . tcp sport @v6 drop\n  }\n");
        return s.append("}\n").toString();
    }

    private static String set(String name, String type, List<InetSocketAddress> members) {
        String elements = members.isEmpty() ? "" : "    elements = { " + members.stream()
                .map(e -> e.getAddress().getHostAddress() + " . " + e.getPort())
                .collect(Collectors.joining(", ")) + " }\n";
        return "  set " + name + " {\n    type " + type + " . inet_service\n" + elements + "  }\n";
    }

    public String table() {
        return table;
    }

    /** Lets the flows' packets through again. Idempotent. */
    @Override
    public void close() {
        if (released) return;
        released = true;
        netns.exec("delete table inet " + table + "\n", "nft", "-f", "-");
    }

    /** Deletes hold tables in {@code netns} left by processes that no longer exist; returns how many. */
    public static int sweepOrphans(NetNamespace netns) {
        int removed = 0;
        for (String line : netns.exec(null, "nft", "list", "tables").split("\n")) {
            String name = line.replace("table inet ", "").trim();
            if (!line.startsWith("table inet " + TABLE_PREFIX)) continue;
            String[] parts = name.substring(TABLE_PREFIX.length()).split("_");
            if (ProcessHandle.of(Long.parseLong(parts[0])).isEmpty()) {
                netns.exec("delete table inet " + name + "\n", "nft", "-f", "-");
                removed++;
            }
        }
        return removed;
    }

    @Override
    public String toString() {
        return "hold " + table + " in " + netns;
    }
}
