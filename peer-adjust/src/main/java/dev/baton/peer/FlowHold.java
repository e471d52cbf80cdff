package dev.baton.peer;

import dev.baton.netns.NetNamespace;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Holds TCP flows still on the wire: an nftables table in one network namespace drops the packets that
 * namespace sends from held local endpoints or to held remote endpoints. Holding both ends of a connection
 * (each in its namespace) silences it. Dropping at output, never at input, keeps held packets off the wire
 * altogether, so a capture never shows a segment twice (a capture sees an incoming packet before input drops it).
 *
 * <p>{@link #create} installs the table with nothing held, before the freeze: registering hooks is slow.
 * {@link #hold} and {@link #release} are then one atomic transaction each, whatever the number of endpoints,
 * spoken over netlink directly (tens of microseconds; starting {@code nft} takes milliseconds). Both only
 * <em>add</em> set elements: removing elements makes the kernel wait for an RCU grace period (10–20 ms here),
 * so a release adds the endpoints to "released" sets that the drop rules exclude, and the removal waits for
 * {@link #close()}, after the freeze.
 *
 * <p>Why a packet filter: a socket in TCP_REPAIR mode is not silent — it still ACKs, transmits on ACKs and
 * retransmits — so a consistent snapshot of both ends of a connection, and a move without RST, need the
 * flow's packets dropped while it happens. TCP treats the drops as loss and retransmits after release.
 *
 * <p>Tables are named {@code baton_hold_<pid>_<n>}; {@link #create} first removes those of dead processes
 * ({@link #sweepOrphans}), so a JVM killed in the middle of a freeze does not hold its flows forever.
 */
public final class FlowHold implements AutoCloseable {
    static final String TABLE_PREFIX = "baton_hold_";
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final NetNamespace netns;
    private final String table;
    private final NftSetElements elements;
    /** What releases the hold: the held endpoints, as keys of the "released" sets. */
    private Map<String, List<byte[]>> held;
    private boolean released;
    private boolean closed;

    private FlowHold(NetNamespace netns, String table, NftSetElements elements) {
        this.netns = netns;
        this.table = table;
        this.elements = elements;
    }

    /**
     * Installs an empty hold table in {@code netns}.
     *
     * @throws dev.baton.netns.NetnsException when nftables refuses (not installed, no CAP_NET_ADMIN)
     */
    public static FlowHold create(NetNamespace netns) {
        // A hold whose JVM died would drop its flows for good: tables of dead processes go first.
        sweepOrphans(netns);
        String table = TABLE_PREFIX + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        NftSetElements elements = NftSetElements.open(netns);
        try {
            netns.exec(tableScript(table), "nft", "-f", "-");
        } catch (RuntimeException e) {
            elements.close();
            throw e;
        }
        return new FlowHold(netns, table, elements);
    }

    /**
     * Starts dropping the packets this namespace sends from any of {@code from} (local address and port) or to
     * any of {@code to} (remote address and port) — to hold every connection to one service, one {@code to}
     * entry is enough, whatever their number. Once per hold table: for the next freeze, make a new one.
     */
    public void hold(Collection<InetSocketAddress> from, Collection<InetSocketAddress> to) {
        if (closed || held != null) throw new IllegalStateException(this + " was already used");
        if (from.isEmpty() && to.isEmpty()) throw new IllegalArgumentException("no flows to hold");
        elements.add(table, keys(from, to, ""));
        held = keys(from, to, "_released");
    }

    /** Lets every held flow through again. Idempotent. */
    public void release() {
        if (held == null || released) return;
        released = true;
        elements.add(table, held);
    }

    /** Set name → keys, for the sets {@code from4, from6, to4, to6} with {@code suffix}. */
    private static Map<String, List<byte[]>> keys(Collection<InetSocketAddress> from, Collection<InetSocketAddress> to,
                                                 String suffix) {
        Map<String, List<byte[]>> sets = new LinkedHashMap<>();
        for (InetSocketAddress e : from) sets.computeIfAbsent("from" + version(e) + suffix, k -> new ArrayList<>()).add(key(e));
        for (InetSocketAddress e : to) sets.computeIfAbsent("to" + version(e) + suffix, k -> new ArrayList<>()).add(key(e));
        return sets;
    }

    private static String version(InetSocketAddress e) {
        return e.getAddress() instanceof Inet4Address ? "4" : "6";
    }

    /** The key layout of {@code ipv4_addr . inet_service}: each field padded to 4 bytes, network byte order. */
    static byte[] key(InetSocketAddress e) {
        byte[] ip = e.getAddress().getAddress();
        byte[] key = Arrays.copyOf(ip, ip.length + 4);
        key[ip.length] = (byte) (e.getPort() >> 8);
        key[ip.length + 1] = (byte) e.getPort();
        return key;
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

    public String table() {
        return table;
    }

    /** Releases what is held and removes the table. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            netns.exec("delete table inet " + table + "\n", "nft", "-f", "-");
        } finally {
            elements.close();
        }
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
