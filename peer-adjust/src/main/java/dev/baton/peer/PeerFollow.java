package dev.baton.peer;

import dev.baton.socket.Pause;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.SocketEntry;
import dev.baton.socket.TcpState;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Makes peer processes follow endpoints that moved: every connection they have to one of those endpoints is
 * re-pointed in place ({@link InPlaceRepoint}) while they are stopped. For a workload restored elsewhere by CRIU:
 * <pre>
 *   begin(pids, old endpoints)   stop the peers, put each matching socket in repair mode (quiet), snapshot it
 *   aim(connection, new, rcvNxt) rebuild it aimed at the endpoint's new address, still quiet
 *   … restore the workload …     its sockets find the peers' sockets already waiting for them
 *   resume()                     leave repair mode, let the peers run
 * </pre>
 * {@link #close()} before {@link #resume()} puts every socket back as it was and lets the peers run: the undo of a
 * restore that failed. The old endpoint must be silent meanwhile (a CRIU network lock, or gone) — no packet of the
 * old connection may reach a peer's socket in repair mode.
 */
public final class PeerFollow implements AutoCloseable {
    /**
     * A peer's connection to an endpoint that moved.
     *
     * @param pid        the peer process
     * @param fd         its file descriptor
     * @param local      the peer's end
     * @param remote     the endpoint's old address
     * @param peerRcvNxt the peer's receive-queue end: what the moved endpoint's send queue must be trimmed to
     */
    public record Connection(int pid, int fd, InetSocketAddress local, InetSocketAddress remote, long peerRcvNxt) {
    }

    private final List<ProcessSockets> processes;
    private final List<Pause> pauses;
    private final List<Connection> connections = new ArrayList<>();
    private final List<InPlaceRepoint> repoints = new ArrayList<>();
    private boolean resumed;

    private PeerFollow(List<ProcessSockets> processes, List<Pause> pauses) {
        this.processes = processes;
        this.pauses = pauses;
    }

    /**
     * Stops the peer processes {@code pids} and takes every connection they have to one of {@code moved} into
     * repair mode.
     *
     * @throws IllegalArgumentException when none of the peers has a connection to a moved endpoint (nothing is
     *                                  left stopped)
     */
    public static PeerFollow begin(Collection<Integer> pids, Set<InetSocketAddress> moved) {
        List<ProcessSockets> processes = new ArrayList<>();
        PeerFollow follow = null;
        try {
            for (int pid : pids) processes.add(ProcessSockets.open(pid));
            follow = new PeerFollow(processes, new ArrayList<>(ProcessSockets.pauseAll(processes)));
            for (ProcessSockets p : processes) {
                for (SocketEntry e : p.list()) {
                    if (e.state() == TcpState.LISTEN || !moved.contains(e.remote())) continue;
                    InPlaceRepoint repoint = InPlaceRepoint.begin(p.grab(e.fd()));
                    follow.repoints.add(repoint);
                    follow.connections.add(new Connection(p.pid(), e.fd(), e.local(), e.remote(),
                            repoint.before().receiveQueue().endSeq()));
                }
            }
            if (follow.connections.isEmpty()) {
                throw new IllegalArgumentException("no connection of peer process(es) " + pids + " goes to "
                        + moved + ": nothing to re-point");
            }
            return follow;
        } catch (RuntimeException e) {
            if (follow != null) follow.close();
            else processes.forEach(ProcessSockets::close);
            throw e;
        }
    }

    public List<Connection> connections() {
        return List.copyOf(connections);
    }

    /**
     * Aims {@code connection} at {@code newRemote}; {@code farEndRcvNxt} is the moved endpoint's receive-queue end,
     * so the peer re-sends exactly what it lacks. Stays in repair mode until {@link #resume()}.
     */
    public void aim(Connection connection, InetSocketAddress newRemote, long farEndRcvNxt) {
        int i = connections.indexOf(connection);
        if (i < 0) throw new IllegalArgumentException("not a connection of this follow: " + connection);
        repoints.get(i).aim(newRemote, farEndRcvNxt);
    }

    /** Every socket leaves repair mode (sending what its far end lacks) and the peers run again. */
    public void resume() {
        for (InPlaceRepoint r : repoints) r.resume();
        resumed = true;
        close();
    }

    /** Before {@link #resume()}: every socket back as it was. Then the peers run again. Idempotent. */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (InPlaceRepoint r : repoints) {
            try {
                r.close();
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
        }
        repoints.clear();
        for (Pause p : pauses) p.close();
        pauses.clear();
        processes.forEach(ProcessSockets::close);
        processes.clear();
        if (failure != null && !resumed) throw failure;
    }
}
