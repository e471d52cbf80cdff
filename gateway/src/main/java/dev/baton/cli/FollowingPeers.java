package dev.baton.cli;

import dev.baton.ckpt.Checkpointer;
import dev.baton.ckpt.image.ImageDir;
import dev.baton.ckpt.image.InetSocketImage;
import dev.baton.ckpt.image.TcpStreamImage;
import dev.baton.peer.PeerFollow;
import dev.baton.socket.TcpState;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code baton ckpt restore --peer PID}: right before CRIU restores the workload, the given peer processes' sockets
 * to its old address are re-pointed in place at its new one (stopped, in repair mode, so quiet), and each restored
 * send queue is trimmed to what its peer already has; once the workload runs, the peers resume. Without this the
 * restored sockets' first segments would meet a peer that knows nothing of the new address and answers RST.
 */
final class FollowingPeers implements Checkpointer.BeforeRestore {
    private final List<Integer> pids;
    private final Map<InetAddress, InetAddress> newToOld = new HashMap<>();
    private PeerFollow follow;

    FollowingPeers(List<Integer> pids, Map<String, String> rewrite) {
        this.pids = pids;
        rewrite.forEach((from, to) -> newToOld.put(InetAddress.ofLiteral(to), InetAddress.ofLiteral(from)));
    }

    @Override
    public void imagesReady(ImageDir images) throws Exception {
        Map<InetSocketAddress, InetSocketImage> byOldLocal = new HashMap<>();
        for (InetSocketImage s : images.inetSockets()) {
            if (s.isTcp() && !s.isListening() && s.state() != TcpState.CLOSE) byOldLocal.put(old(s.local()), s);
        }
        follow = PeerFollow.begin(pids, byOldLocal.keySet());
        try {
            for (PeerFollow.Connection c : follow.connections()) {
                InetSocketImage s = byOldLocal.get(c.remote());
                if (s == null || !s.remote().equals(c.local())) {
                    throw new CommandFailure("peer " + c.pid() + "'s connection " + c.local() + " -> " + c.remote()
                            + " is not one of the restored workload's");
                }
                images.reconcileSendQueue(s, c.peerRcvNxt());
                TcpStreamImage stream = images.tcpStream(s).orElseThrow(() ->
                        new CommandFailure("the images hold no TCP state for " + s));
                follow.aim(c, s.local(), stream.inqSeq());
            }
        } catch (Exception e) {
            follow.close();
            follow = null;
            throw e;
        }
    }

    /** The workload runs: the peers go on with it. */
    void resume() {
        if (follow != null) follow.resume();
    }

    /** The restore failed: the peers' sockets as they were. */
    void undo() {
        if (follow != null) follow.close();
    }

    int connections() {
        return follow == null ? 0 : follow.connections().size();
    }

    private InetSocketAddress old(InetSocketAddress now) {
        return new InetSocketAddress(newToOld.getOrDefault(now.getAddress(), now.getAddress()), now.getPort());
    }
}
