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
 *  2 capture   snapshot the source socket and the peer socket (both stay in repair mode)
 *  3 rebuild   the new owner rebuilds the source state on B (local address B), held in repair mode,
 *              send queue trimmed to what the peer already has
 *  4 re-point  the peer socket is rebuilt in place aimed at B, send queue trimmed to what B has
 *  5 release A kill the source process; its socket closes in repair mode: no FIN, no RST
 *  6 release   lift the hold; resume the peer socket, continue the peer; the new owner resumes
 * </pre>
 * Until step 5 every failure rolls back, and nothing is lost: the new owner is told to abort (it must close its
 * socket in repair mode, silently), the peer socket is rebuilt as it was, the source resumes, the hold goes and
 * both processes continue. A failure after step 5 — when the new owner holds the only copy of the connection —
 * is reported, and the captured source state is written to a file so that it can be rebuilt again.
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

        /** The handoff was rolled back: the owner must close its socket while still in repair mode (silently). */
        void abort() throws Exception;
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
     * @param startNewOwner starts the new owner from the handover; called once, while the source still exists
     */
    public static Result run(Endpoint peer, Endpoint source, InetSocketAddress newLocal,
                             Function<Handover, NewOwner> startNewOwner) throws Exception {
        try (ProcessSockets peerProcess = ProcessSockets.open(peer.pid());
             ProcessSockets sourceProcess = ProcessSockets.open(source.pid());
             Attempt attempt = new Attempt(peerProcess, sourceProcess)) {
            return attempt.run(peer, source, newLocal, startNewOwner);
        }
    }

    /** The resources of one handoff, so that each failure can undo exactly what was done. */
    private static final class Attempt implements AutoCloseable {
        private final ProcessSockets peerProcess;
        private final ProcessSockets sourceProcess;
        private FlowHold peerHold;
        private FlowHold sourceHold;
        private Pause peerPause;
        private Pause sourcePause;
        private InPlaceRepoint repoint;
        private TcpSocket peerSocket;
        private TcpSocket sourceSocket;
        private RepairSession sourceSession;
        private NewOwner owner;
        private TcpSocketState sourceState;
        private boolean sourceGone;

        Attempt(ProcessSockets peerProcess, ProcessSockets sourceProcess) {
            this.peerProcess = peerProcess;
            this.sourceProcess = sourceProcess;
        }

        Result run(Endpoint peer, Endpoint source, InetSocketAddress newLocal,
                   Function<Handover, NewOwner> startNewOwner) throws Exception {
            // Our duplicates of both ends, taken once: they name the flows to hold and are what we repair.
            peerSocket = peerProcess.grab(peer.fd());
            sourceSocket = sourceProcess.grab(source.fd());
            InetSocketAddress peerEnd = peerSocket.localAddress();
            InetSocketAddress sourceEnd = sourceSocket.localAddress();
            // Tables first: registering their hooks is the slow part of nftables, and it is not frozen time.
            peerHold = FlowHold.create(peer.netns());
            sourceHold = FlowHold.create(source.netns());
            long t0 = System.nanoTime();
            try {
                peerHold.hold(List.of(peerEnd), List.of());
                sourceHold.hold(List.of(sourceEnd), List.of());
                List<Pause> pauses = ProcessSockets.pauseAll(List.of(peerProcess, sourceProcess));
                peerPause = pauses.get(0);
                sourcePause = pauses.get(1);
                long t1 = System.nanoTime();

                repoint = InPlaceRepoint.begin(peerSocket);
                TcpInfo sourceInfo = sourceSocket.info();
                sourceSession = RepairSession.enter(sourceSocket);
                sourceState = sourceSession.snapshot();
                long t2 = System.nanoTime();

                TcpSocketState moved = sourceState.withLocal(newLocal)
                        .reconciledWith(repoint.before().receiveQueue().endSeq());
                owner = startNewOwner.apply(new Handover(moved, sourceState, sourceInfo));
                owner.awaitRebuilt();
                long t3 = System.nanoTime();

                repoint.aim(newLocal, sourceState.receiveQueue().endSeq());
                long t4 = System.nanoTime();

                // Point of no return: the source dies with its socket in repair mode, which sends nothing. It is
                // stopped, so it never runs again; its teardown may finish after the freeze.
                ProcessHandle sourceHandle = kill(source.pid());
                sourceGone = true;
                sourceSession.closeSilently();
                finishForward();
                long t5 = System.nanoTime();
                sourceHandle.onExit().get(5, TimeUnit.SECONDS);
                Result r = new Result(peerEnd, sourceState.local(), newLocal, Duration.ofNanos(t1 - t0),
                        Duration.ofNanos(t2 - t1), Duration.ofNanos(t3 - t2), Duration.ofNanos(t4 - t3),
                        Duration.ofNanos(t5 - t4), Duration.ofNanos(t5 - t0), moved.sendQueue().length(),
                        moved.receiveQueue().length());
                log.info("handoff done: {}", r);
                return r;
            } catch (Exception | Error e) {
                if (sourceGone) {
                    log.error("handoff failed after the source was released: {}", e.toString());
                    keepState(sourceState, e);
                } else {
                    log.warn("handoff failed, rolling back: {}", e.toString());
                    rollBack(e);
                }
                throw e;
            }
        }

        /**
         * The steps after the point of no return: each is tried even if one before it failed — the new owner holds
         * the only copy of the connection, so going back is no longer an option — and the first failure is thrown.
         */
        private void finishForward() throws Exception {
            Exception failure = null;
            for (AutoCloseable step : List.<AutoCloseable>of(peerHold::release, repoint::resume, peerPause::close,
                    owner::resume)) {
                try {
                    step.close();
                } catch (Exception e) {
                    if (failure == null) failure = e;
                    else failure.addSuppressed(e);
                }
            }
            if (failure != null) throw failure;
        }

        /** Undoes everything before the point of no return, newest first. */
        private void rollBack(Throwable failure) {
            if (owner != null) closeQuietly(owner::abort, failure);
            closeQuietly(repoint, failure);
            closeQuietly(sourceSession, failure);
            closeQuietly(sourcePause, failure);
            closeQuietly(peerPause, failure);
        }

        /**
         * Releases our duplicates of both ends' fds (a duplicate left open would keep a socket alive after its
         * process is gone) and lifts the holds, removing their tables — on success and on failure alike.
         */
        @Override
        public void close() {
            if (peerSocket != null) peerSocket.close();
            if (sourceSocket != null) sourceSocket.close();
            RuntimeException failure = null;
            for (FlowHold hold : new FlowHold[]{peerHold, sourceHold}) {
                try {
                    if (hold != null) hold.close();
                } catch (RuntimeException e) {
                    if (failure == null) failure = e;
                    else failure.addSuppressed(e);
                }
            }
            if (failure != null) throw failure;
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
