package dev.baton.peer;

import dev.baton.netns.NetNamespace;
import dev.baton.socket.Pause;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.RepairSession;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpInfo;
import dev.baton.socket.TcpSocket;
import dev.baton.socket.TcpSocketState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Hands one established connection from its owner on host A to a new owner on host B (another IP), while the
 * process at the other end — the peer, unmodified, on a host Baton administers — keeps its socket and sees a
 * pause. Socket-level only: the new owner gets the connection, not the old owner's memory.
 * <pre>
 *  1 hold      drop what either end sends (nftables, output, in each end's namespace); stop both processes
 *  2 capture   snapshot the source socket and the peer socket (both in repair mode)
 *  3 release A kill the source process; its socket closes in repair mode: no FIN, no RST
 *  4 rebuild   the new owner rebuilds the source state on B (local address B), held in repair mode,
 *              send queue trimmed to what the peer already has
 *  5 re-point  the peer socket is rebuilt in place aimed at B, send queue trimmed to what B has
 *  6 release   delete the hold; resume the peer socket, continue the peer; the new owner resumes
 * </pre>
 * Until step 3 every failure rolls back: the peer socket is restored, the source resumes, the hold goes,
 * both processes continue. After step 3 the source state lives only in the new owner; a failure there is
 * reported with the captured state, so that it can be rebuilt again.
 */
public final class SocketHandoff {
    private static final Logger log = LoggerFactory.getLogger(SocketHandoff.class);

    /** One end of the connection: a process, the fd of the socket in it, and the network namespace it is in. */
    public record Endpoint(int pid, int fd, NetNamespace netns) {
    }

    /**
     * What the new owner needs: the state to rebuild ({@code state}: local address replaced, send queue trimmed
     * to what the peer has), and the source socket as captured, with its kernel counters — from which an
     * application that numbers its stream finds where the old owner stopped writing and reading.
     */
    public record Handover(TcpSocketState state, TcpSocketState source, TcpInfo sourceInfo) {
    }

    /** The new owner of the connection, started by the caller from a {@link Handover}. */
    public interface NewOwner {
        /** Blocks until the owner has rebuilt the socket and holds it in repair mode. */
        void awaitRebuilt() throws Exception;

        /** Tells the owner to resume the socket and carry on. */
        void resume() throws Exception;
    }

    /** Durations of each step, and the peer's view of the move. */
    public record Result(InetSocketAddress peer, InetSocketAddress from, InetSocketAddress to, Duration hold,
                         Duration capture, Duration rebuild, Duration repoint, Duration release, Duration frozen,
                         int heldSendBytes, int heldReceiveBytes) {
        @Override
        public String toString() {
            return String.format("%s: %s -> %s, frozen %.2f ms (hold %.2f, capture %.2f, rebuild %.2f, re-point %.2f,"
                            + " release %.2f), queues moved: %d B to send, %d B received",
                    StateJson.format(peer), StateJson.format(from), StateJson.format(to),
                    ms(frozen), ms(hold), ms(capture), ms(rebuild), ms(repoint), ms(release), heldSendBytes,
                    heldReceiveBytes);
        }

        private static double ms(Duration d) {
            return d.toNanos() / 1e6;
        }
    }

    private SocketHandoff() {}

    /**
     * Moves the connection between {@code source} and {@code peer} to a new owner bound to {@code newLocal}.
     *
     * @param startNewOwner starts the new owner from the handover; called once, after the source is gone
     */
    public static Result run(Endpoint peer, Endpoint source, InetSocketAddress newLocal,
                             Function<Handover, NewOwner> startNewOwner) throws Exception {
        try (ProcessSockets peerProcess = ProcessSockets.open(peer.pid());
             ProcessSockets sourceProcess = ProcessSockets.open(source.pid())) {
            InetSocketAddress peerEnd = localEnd(peerProcess, peer.fd());
            InetSocketAddress sourceEnd = localEnd(sourceProcess, source.fd());
            FlowHold hold = FlowHold.create(peer.netns());
            FlowHold sourceHold;
            try {
                sourceHold = FlowHold.create(source.netns());
            } catch (RuntimeException e) {
                hold.close();
                throw e;
            }
            Pause peerPause = null;
            Pause sourcePause = null;
            InPlaceRepoint repoint = null;
            RepairSession sourceSession = null;
            boolean sourceGone = false;
            TcpSocketState sourceState = null;
            long t0 = System.nanoTime();
            try {
                hold.hold(List.of(peerEnd), List.of());
                sourceHold.hold(List.of(sourceEnd), List.of());
                List<Pause> pauses = ProcessSockets.pauseAll(List.of(peerProcess, sourceProcess));
                peerPause = pauses.get(0);
                sourcePause = pauses.get(1);
                long t1 = System.nanoTime();

                repoint = InPlaceRepoint.begin(peerProcess, peer.fd());
                TcpSocket sourceSocket = sourceProcess.grab(source.fd());
                TcpInfo sourceInfo = sourceSocket.info();
                sourceSession = RepairSession.enter(sourceSocket);
                sourceState = sourceSession.snapshot();
                long t2 = System.nanoTime();

                // Point of no return: the source dies with its socket in repair mode, which sends nothing. It is
                // stopped, so it never runs again; tearing it down can finish after the freeze.
                ProcessHandle sourceHandle = kill(source.pid());
                sourceGone = true;
                sourceSession.closeSilently();
                TcpSocketState moved = sourceState.withLocal(newLocal)
                        .reconciledWith(repoint.before().receiveQueue().endSeq());
                Handover handover = new Handover(moved, sourceState, sourceInfo);
                NewOwner owner = startNewOwner.apply(handover);
                owner.awaitRebuilt();
                long t3 = System.nanoTime();

                repoint.aim(newLocal, sourceState.receiveQueue().endSeq());
                long t4 = System.nanoTime();

                hold.release();
                repoint.resume();
                peerPause.close();
                owner.resume();
                long t5 = System.nanoTime();
                hold.close();
                sourceHold.close();
                sourceHandle.onExit().get(5, TimeUnit.SECONDS);
                Result r = new Result(peerEnd, sourceState.local(), newLocal, Duration.ofNanos(t1 - t0),
                        Duration.ofNanos(t2 - t1), Duration.ofNanos(t3 - t2), Duration.ofNanos(t4 - t3),
                        Duration.ofNanos(t5 - t4), Duration.ofNanos(t5 - t0), moved.sendQueue().length(),
                        moved.receiveQueue().length());
                log.info("handoff done: {}", r);
                return r;
            } catch (Exception | Error e) {
                log.warn("handoff failed{}: {}", sourceGone ? " after the source was released" : ", rolling back",
                        e.toString());
                if (!sourceGone) {
                    closeQuietly(repoint, e);
                    closeQuietly(sourceSession, e);
                    closeQuietly(sourcePause, e);
                } else {
                    closeQuietly(repoint, e);
                    keepState(sourceState, e);
                }
                closeQuietly(hold, e);
                closeQuietly(sourceHold, e);
                closeQuietly(peerPause, e);
                throw e;
            }
        }
    }

    private static InetSocketAddress localEnd(ProcessSockets process, int fd) {
        try (TcpSocket socket = process.grab(fd)) {
            return socket.localAddress();
        }
    }

    private static ProcessHandle kill(int pid) {
        ProcessHandle handle = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("source exited"));
        handle.destroyForcibly();
        return handle;
    }

    /** The source is gone: its captured state is all that is left of its end, so it goes to a file. */
    private static void keepState(TcpSocketState state, Throwable failure) {
        try {
            Path file = Files.createTempFile("baton-handoff-", ".json");
            Files.writeString(file, StateJson.write(state));
            log.error("the source's socket state is kept in {}: rebuild it with SocketCapture.rebuild", file);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    private static void closeQuietly(AutoCloseable c, Throwable failure) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }
}
