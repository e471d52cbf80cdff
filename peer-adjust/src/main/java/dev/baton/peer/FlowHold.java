package dev.baton.peer;

import dev.baton.netns.NetNamespace;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Holds TCP flows still on the wire: an nftables table in one network namespace that drops every packet the
 * namespace sends from the held local endpoints. Holding both ends of a connection (each in its namespace)
 * silences it; dropping at output, never at input, keeps held packets off the wire altogether, so a capture
 * shows no segment twice (a packet dropped on input has already been seen by a capture on that interface). {@link #create} installs the table with nothing held — hook
 * registration is the slow part, so it happens before the freeze —, {@link #hold} and {@link #release} then
 * take one atomic nftables transaction each, whatever the number of endpoints, and {@link #close()} removes
 * the table. Both only <em>add</em> set elements: removing elements or rules makes the kernel wait for an RCU
 * grace period (10–20 ms here), so a release adds the endpoints to "released" sets that the drop rules
 * exclude, and the removal waits for {@link #close()}, after the freeze.
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
    /** The nft script that releases what is held: the same endpoints, added to the "released" sets. */
    private String held;
    private boolean released;
    private boolean closed;

    private FlowHold(NetNamespace netns, String table) {
        this.netns = netns;
        this.table = table;
    }

    /**
     * Installs an empty hold table in {@code netns}.
     *
     * @throws dev.baton.netns.NetnsException when nftables refuses (not installed, no CAP_NET_ADMIN)
     */
    public static FlowHold create(NetNamespace netns) {
        String table = TABLE_PREFIX + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        netns.exec(tableScript(table), "nft", "-f", "-");
        return new FlowHold(netns, table);
    }

    /**
     * Starts dropping the packets this namespace sends from any of {@code from} (local address and port) or to
     * any of {@code to} (remote address and port) — to hold every connection to one service, one {@code to}
     * entry is enough, whatever their number. Once per hold table: for the next freeze, make a new one.
     */
    public void hold(Collection<InetSocketAddress> from, Collection<InetSocketAddress> to) {
        if (closed || held != null) throw new IllegalStateException(this + " was already used");
        if (from.isEmpty() && to.isEmpty()) throw new IllegalArgumentException("no flows to hold");
        String script = elementsScript(table, "from", "", from) + elementsScript(table, "to", "", to);
        netns.exec(script, "nft", "-f", "-");
        held = elementsScript(table, "from", "_released", from) + elementsScript(table, "to", "_released", to);
    }

    /** Lets every held flow through again. Idempotent. */
    public void release() {
        if (held == null || released) return;
        released = true;
        netns.exec(held, "nft", "-f", "-");
    }

    static String tableScript(String table) {
        // Priority -300: before conntrack and any filter the host has, so nothing sees a held packet.
        StringBuilder s = new StringBuilder("table inet ").append(table).append(" {\n");
        for (String dir : List.of("from", "to")) {
            for (String suffix : List.of("", "_released")) {
                s.append("  set ").append(dir).append("4").append(suffix)
                        .append(" {\n    type ipv4_addr . inet_service\n  }\n");
                s.append("  set ").append(dir).append("6").append(suffix)
                        .append(" {\n    type ipv6_addr . inet_service\n  }\n");
            }
        }
        s.append("  chain out {\n    type filter hook output priority -300; policy accept;\n");
        for (String v : List.of("4", "6")) {
            String ip = v.equals("4") ? "ip" : "ip6";
            s.append("    ").append(ip).append(" saddr . tcp sport @from").append(v).append(' ').append(ip)
                    .append(" saddr . tcp sport != @from").append(v).append("_released drop\n");
            s.append("    ").append(ip).append(" daddr . tcp dport @to").append(v).append(' ').append(ip)
                    .append(" daddr . tcp dport != @to").append(v).append("_released drop\n");
        }
        return s.append("  }\n}\n").toString();
    }

    /** Adds {@code endpoints} to the sets {@code <dir>4<suffix>} and {@code <dir>6<suffix>}. */
    static String elementsScript(String table, String dir, String suffix, Collection<InetSocketAddress> endpoints) {
        List<InetSocketAddress> v4 = endpoints.stream().filter(e -> e.getAddress() instanceof Inet4Address).toList();
        List<InetSocketAddress> v6 = endpoints.stream().filter(e -> !(e.getAddress() instanceof Inet4Address)).toList();
        return elements(table, dir + "4" + suffix, v4) + elements(table, dir + "6" + suffix, v6);
    }

    private static String elements(String table, String set, List<InetSocketAddress> members) {
        if (members.isEmpty()) return "";
        return "add element inet " + table + " " + set + " { " + members.stream()
                .map(e -> e.getAddress().getHostAddress() + " . " + e.getPort())
                .collect(Collectors.joining(", ")) + " }\n";
    }

    public String table() {
        return table;
    }

    /** Releases what is held and removes the table. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        netns.exec("delete table inet " + table + "\n", "nft", "-f", "-");
    }

    /** Deletes hold tables in {@code netns} left by processes that no longer exist; returns how many. */
    public static int sweepOrphans(NetNamespace netns) {
        int removed = 0;
        for (String line : netns.exec(null, "nft", "list", "tables").split("\n")) {
            if (!line.startsWith("table inet " + TABLE_PREFIX)) continue;
            String name = line.substring("table inet ".length()).trim();
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
