package dev.baton.ckpt;

import dev.baton.ckpt.image.InetSocketImage;
import dev.baton.netns.NetNamespace;
import dev.baton.socket.StateJson;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks, before CRIU runs, that the target namespace can take the workload's TCP sockets: every listening port
 * free, every local address configured. CRIU would fail on either too, but half-way through a restore and with an
 * error deep in its log; this names the socket and the fix.
 */
final class RestorePreflight {
    private RestorePreflight() {
    }

    /** @throws CheckpointException listing every socket the namespace cannot take */
    static void check(List<InetSocketImage> sockets, NetNamespace netns, String where) {
        List<String> problems = netns.get(() -> {
            List<String> found = new ArrayList<>();
            // One probe per address and port: a thousand connections from one address need one bind, not 1,000.
            Set<InetSocketAddress> probed = new HashSet<>();
            for (InetSocketImage s : sockets) {
                if (!s.isTcp()) continue;
                InetSocketAddress probe = s.isListening() ? s.local() : new InetSocketAddress(s.local().getAddress(), 0);
                if (!probed.add(probe)) continue;
                String problem = bind(probe);
                if (problem != null) found.add(describe(s) + ": " + problem);
            }
            return found;
        });
        if (!problems.isEmpty()) {
            throw new CheckpointException("cannot restore " + where + ": " + String.join("; ", problems)
                    + " (nothing was restored)");
        }
    }

    private static String bind(InetSocketAddress address) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true); // TIME_WAIT leftovers do not stop CRIU either
            probe.bind(address, 1);
            return null;
        } catch (BindException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("in use")) return "port " + address.getPort() + " is already in use there";
            if (m.contains("assign")) return "address " + address.getAddress().getHostAddress()
                    + " is not configured there (restore with --rewrite OLD=NEW to move the socket to an address it has)";
            return m;
        } catch (IOException e) {
            return String.valueOf(e.getMessage());
        }
    }

    private static String describe(InetSocketImage s) {
        return (s.isListening() ? "listening socket " : "connection ") + StateJson.format(s.local())
                + (s.isListening() ? "" : " -> " + StateJson.format(s.remote()));
    }
}
