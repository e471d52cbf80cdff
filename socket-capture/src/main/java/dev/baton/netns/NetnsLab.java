package dev.baton.netns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small network of test hosts on this machine: one network namespace per host, each with an {@code eth0}
 * plugged into a bridge that lives in a namespace of its own, all in one /24 of 198.18.0.0/15 (the benchmarking
 * range; nothing else is ever addressed). Used by the demo and by tests. {@link #close()} deletes every
 * namespace, and with them their interfaces and nftables tables; namespaces left by a lab whose JVM died are
 * swept by the next lab.
 * <pre>
 *   [peer] eth0 ──┐
 *   [a]    eth0 ──┤ br0 [switch]
 *   [b]    eth0 ──┘
 * </pre>
 */
public final class NetnsLab implements AutoCloseable {
    private static final String PREFIX = "baton";
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final String id;
    private final String switchNs;
    private final Map<String, Host> hosts = new LinkedHashMap<>();
    private final int subnet;
    private boolean closed;

    /** One test host: its namespace and its address on the lab's network. */
    public record Host(String name, String nsName, InetAddress address) {
        public NetNamespace netns() {
            return NetNamespace.named(nsName);
        }

        /** A command line that runs {@code command} inside this host's network namespace. */
        public List<String> command(String... command) {
            return netns().command(command);
        }
    }

    private NetnsLab(String id, int subnet) {
        this.id = id;
        this.subnet = subnet;
        this.switchNs = id + "-sw";
    }

    /** Creates hosts named {@code names} (addresses .1, .2, … in a random /24 of 198.18.0.0/15). */
    public static NetnsLab create(String... names) {
        sweepOrphans();
        String id = PREFIX + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        // 198.18.0.0/15 holds 512 /24s; a random one keeps concurrent labs apart.
        NetnsLab lab = new NetnsLab(id, ThreadLocalRandom.current().nextInt(512));
        try {
            lab.build(names);
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
        return lab;
    }

    private void build(String... names) {
        StringBuilder root = new StringBuilder("netns add " + switchNs + "\n");
        StringBuilder bridge = new StringBuilder("link add br0 type bridge\nlink set br0 up\n");
        Map<String, String> perHost = new LinkedHashMap<>();
        int i = 0;
        for (String name : names) {
            i++;
            String ns = nsName(name);
            InetAddress address = address(i);
            root.append("netns add ").append(ns).append('\n');
            root.append("link add eth0 netns ").append(ns).append(" type veth peer name p").append(i)
                    .append(" netns ").append(switchNs).append('\n');
            bridge.append("link set p").append(i).append(" master br0 up\n");
            perHost.put(ns, "link set lo up\naddr add " + address.getHostAddress() + "/24 dev eth0\nlink set eth0 up\n");
            hosts.put(name, new Host(name, ns, address));
        }
        Commands.ip(null, root.toString());
        Commands.ip(switchNs, bridge.toString());
        perHost.forEach(Commands::ip);
    }

    private String nsName(String host) {
        if (!host.matches("[a-z0-9]{1,12}")) throw new IllegalArgumentException("host names are [a-z0-9]{1,12}: " + host);
        return id + "-" + host;
    }

    /** Address {@code index} of this lab's /24 (index 1..254). */
    public InetAddress address(int index) {
        if (index < 1 || index > 254) throw new IllegalArgumentException("host index out of range: " + index);
        byte[] ip = {(byte) 198, (byte) (18 + subnet / 256), (byte) (subnet % 256), (byte) index};
        try {
            return InetAddress.getByAddress(ip);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    public Host host(String name) {
        Host h = hosts.get(name);
        if (h == null) throw new IllegalArgumentException("no host " + name + " in this lab: " + hosts.keySet());
        return h;
    }

    public List<Host> hosts() {
        return List.copyOf(hosts.values());
    }

    /** Deletes every namespace of this lab. Idempotent; never throws for a namespace that is already gone. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        deleteNamespaces(id + "-");
    }

    private static void deleteNamespaces(String prefix) {
        List<String> names = listNamespaces().stream().filter(n -> n.startsWith(prefix)).toList();
        if (names.isEmpty()) return;
        StringBuilder batch = new StringBuilder();
        for (String n : names) batch.append("netns delete ").append(n).append('\n');
        try {
            Commands.run(List.of("ip", "-force", "-batch", "-"), batch.toString());
        } catch (NetnsException ignored) {
            // -force goes on past errors; a namespace deleted meanwhile is what we wanted anyway
        }
    }

    private static List<String> listNamespaces() {
        try (var s = Files.list(Path.of("/run/netns"))) {
            return s.map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Deletes namespaces of labs whose JVM is gone (names carry the creating PID). */
    private static void sweepOrphans() {
        for (String n : listNamespaces()) {
            if (!n.startsWith(PREFIX)) continue;
            int dash = n.indexOf('-');
            if (dash <= PREFIX.length()) continue;
            try {
                long pid = Long.parseLong(n.substring(PREFIX.length(), dash));
                if (ProcessHandle.of(pid).isEmpty()) deleteNamespaces(n.substring(0, dash + 1));
            } catch (NumberFormatException notOurs) {
                // another tool's namespace
            }
        }
    }

    @Override
    public String toString() {
        return "lab " + id + " " + hosts.values();
    }
}
