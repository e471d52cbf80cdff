package dev.baton.ckpt.criu;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.baton.ckpt.criu.rpc.Rpc;
import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A conversation with one {@code criu swrk} process over its SEQPACKET socket: requests and answers are
 * {@code criu_req} / {@code criu_resp} messages, one per packet; while CRIU works on a request it may send
 * NOTIFY messages, each answered through {@link CriuNotify} before it goes on.
 *
 * <p>{@link #start} spawns swrk at once, so a caller can pay for CRIU's start-up before the workload is frozen
 * and keep only the dump itself on the critical path.
 *
 * <p><b>One final request per client.</b> CRIU's service (criu/cr-service.c) keeps a session open only for
 * requests that allow {@code keep_open}: VERSION, FEATURE_CHECK, CPUINFO_* and starting a page server. Any other
 * request (CHECK, DUMP, RESTORE, WAIT_PID) is the last one: swrk answers it and exits, since a dump or restore
 * leaves state behind in the process. So a client answers any number of {@link #version()} and one
 * {@link #startPageServer} calls, then one of {@link #check()}, {@link #dump}, {@link #restore},
 * {@link #awaitPageServer()} or {@link #stopPageServer()}; after that it refuses further requests with
 * {@link IllegalStateException}. Start another client for the next one.
 *
 * <p>Failures: {@link CriuException} when CRIU answers that the request failed (with CRIU's errno, message and
 * the error lines of its log); {@link CriuProtocolException} when the conversation itself breaks; callers'
 * misuse is {@link IllegalArgumentException} / {@link IllegalStateException}. A {@code null} {@link CriuNotify}
 * means {@link CriuNotify#NONE}. Calls block until CRIU answers and are serialized.
 */
public final class CriuClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CriuClient.class);
    /** How long swrk may take to exit after its last answer or our hang-up before it is killed. */
    private static final Duration EXIT_GRACE = Duration.ofSeconds(5);

    private final Swrk swrk;
    private String finalRequest;
    private boolean finalRequestSucceeded;
    private PageServer pageServer;
    private boolean closed;

    private CriuClient(Swrk swrk) {
        this.swrk = swrk;
    }

    /**
     * Spawns {@code criu swrk} as described by {@code launch} and returns without waiting for it to be ready
     * (the first request waits).
     *
     * @throws IllegalArgumentException when the network namespace to run in does not exist
     * @throws CriuProtocolException    when the process cannot be spawned
     */
    public static CriuClient start(CriuLaunch launch) {
        launch.netns().ifPresent(ns -> {
            if (!Files.exists(ns)) throw new IllegalArgumentException("network namespace " + ns + " does not exist");
        });
        return new CriuClient(Swrk.spawn(launch));
    }

    /** The swrk process (CRIU itself once {@code nsenter}, if any, has exec'ed it). */
    public int pid() {
        return swrk.pid();
    }

    /** CRIU's version. Keeps the session open. */
    public synchronized CriuVersion version() {
        Rpc.criu_resp resp = exchange(request(Rpc.criu_req_type.VERSION).setKeepOpen(true), "version", null,
                CriuNotify.NONE, false).resp;
        if (!resp.hasVersion()) throw new CriuProtocolException("CRIU's answer to version has no version in it");
        Rpc.criu_version v = resp.getVersion();
        return new CriuVersion(v.getMajorNumber(), v.getMinorNumber(), v.getSublevel(), v.getGitid());
    }

    /**
     * {@code criu check}: whether CRIU can work on this kernel. Final request.
     *
     * @throws CriuException naming what is missing
     */
    public synchronized void check() {
        exchange(request(Rpc.criu_req_type.CHECK), "check", null, CriuNotify.NONE, true);
    }

    /**
     * Dumps the tree rooted at {@code options.pid()} into the images directory, calling {@code notify} at each
     * point CRIU reports. Unless {@code leaveRunning} or {@code leaveStopped}, CRIU kills the tree once the dump
     * has succeeded; a dump that fails, for any reason, leaves it running. Final request.
     *
     * @throws CriuException when CRIU fails the dump, or a callback threw (its exception is the cause)
     */
    public synchronized DumpResult dump(CriuOptions options, CriuNotify notify) {
        if (options.pid().isEmpty()) {
            // CRIU would dump the requesting process: this JVM.
            throw new IllegalArgumentException("a dump needs the PID of the tree to dump: CriuOptions.Builder.pid");
        }
        Path log = options.workDir().resolve("dump.log");
        long start = System.nanoTime();
        try (Dirs dirs = Dirs.open(options)) {
            Rpc.criu_opts.Builder opts = options.toRpc(dirs.images, dirs.work, log.getFileName().toString());
            Answer answer = exchange(request(Rpc.criu_req_type.DUMP).setOpts(withNotify(opts, notify)), "dump", log,
                    notify, true);
            Duration wall = Duration.ofNanos(System.nanoTime() - start);
            if (answer.hookFailure != null) {
                // CRIU went on although we said no (it ignores network-unlock's answer): the dump must not count.
                throw failure("dump", answer.hookReason() + "; CRIU completed the dump anyway", answer.resp, log,
                        answer.hookFailure);
            }
            return new DumpResult(wall, log, StatsImage.dump(options.imagesDir()));
        }
    }

    /**
     * Restores the tree in the images directory into CRIU's network namespace, calling {@code notify} at each
     * point CRIU reports. The restored root becomes a child of this JVM ({@code rst_sibling}), reaped by
     * {@link RestoredProcess}. Final request.
     *
     * @throws CriuException when CRIU fails the restore, or a callback threw (its exception is the cause; a tree
     *                       CRIU restored anyway is killed)
     */
    public synchronized RestoreResult restore(CriuOptions options, CriuNotify notify) {
        Path log = options.workDir().resolve("restore.log");
        long start = System.nanoTime();
        try (Dirs dirs = Dirs.open(options)) {
            Rpc.criu_opts.Builder opts = options.toRpc(dirs.images, dirs.work, log.getFileName().toString())
                    .setRstSibling(true);
            Answer answer = exchange(request(Rpc.criu_req_type.RESTORE).setOpts(withNotify(opts, notify)), "restore",
                    log, notify, true);
            Duration wall = Duration.ofNanos(System.nanoTime() - start);
            if (!answer.resp.hasRestore()) throw new CriuProtocolException("CRIU's answer to restore has no PID in it");
            RestoredProcess process = RestoredProcess.adopt(answer.resp.getRestore().getPid());
            if (answer.hookFailure != null) {
                process.kill();
                throw failure("restore", answer.hookReason() + "; CRIU restored the tree anyway, so it was killed (pid "
                        + process.pid() + ")", answer.resp, log, answer.hookFailure);
            }
            return new RestoreResult(process, wall, log, StatsImage.restore(options.imagesDir()));
        }
    }

    /**
     * Starts a page server that writes the pages a remote dump sends into {@code options.imagesDir()}; it
     * listens where {@code options} says ({@link CriuOptions.Builder#pageServer}; port 0 lets the kernel choose)
     * and serves one dump. Keeps the session open: follow with {@link #awaitPageServer()} or
     * {@link #stopPageServer()}.
     */
    public synchronized PageServer startPageServer(CriuOptions options) {
        if (pageServer != null) throw new IllegalStateException("this client already started " + pageServer);
        Path log = options.workDir().resolve("page-server.log");
        try (Dirs dirs = Dirs.open(options)) {
            Rpc.criu_opts.Builder opts = options.toRpc(dirs.images, dirs.work, log.getFileName().toString());
            if (!opts.hasPs()) {
                throw new IllegalArgumentException("a page server needs an address and port: CriuOptions.Builder.pageServer");
            }
            // PAGE_SERVER_CHLD: the server stays a child of swrk, so that WAIT_PID can reap it.
            Rpc.criu_resp resp = exchange(request(Rpc.criu_req_type.PAGE_SERVER_CHLD).setOpts(opts).setKeepOpen(true),
                    "page-server", log, CriuNotify.NONE, false).resp;
            if (!resp.hasPs() || !resp.getPs().hasPid() || resp.getPs().getPid() <= 0) {
                throw new CriuProtocolException("CRIU's answer to page-server has no server in it");
            }
            pageServer = new PageServer(resp.getPs().getPid(), resp.getPs().getPort());
            if (pageServer.port() <= 0) throw new CriuProtocolException("CRIU's page server reports no port: " + pageServer);
            return pageServer;
        }
    }

    /**
     * Waits until the page server has served its dump and exited. Final request.
     *
     * @throws CriuException when it exited with failure
     */
    public synchronized void awaitPageServer() {
        if (pageServer == null) throw new IllegalStateException("no page server was started by this client");
        PageServer server = pageServer;
        ExitStatus status = waitPid(server.pid(), "page-server wait");
        if (!status.success()) {
            throw new CriuException("page-server", "the page server (pid " + server.pid() + ") ended with " + status,
                    0, null, List.of(), null, null);
        }
    }

    /** Kills the page server and reaps it. Final request. */
    public synchronized void stopPageServer() {
        if (pageServer == null) throw new IllegalStateException("no page server was started by this client");
        try {
            Libc.kill(pageServer.pid(), Libc.SIGKILL);
        } catch (ErrnoException e) {
            if (e.errno() != Libc.ESRCH) throw e;
        }
        waitPid(pageServer.pid(), "page-server stop");
    }

    private ExitStatus waitPid(int pid, String step) {
        Rpc.criu_resp resp = exchange(request(Rpc.criu_req_type.WAIT_PID).setPid(pid), step, null, CriuNotify.NONE,
                true).resp;
        pageServer = null;
        return new ExitStatus(resp.getStatus());
    }

    /**
     * Stops a page server this client started and is still responsible for, hangs up, and reaps swrk (killing it
     * if it does not exit within a few seconds). Idempotent.
     *
     * @throws CriuProtocolException when swrk ended badly after a request that had succeeded (killed by a signal,
     *                               or a non-zero exit); its end after a failed request is attached to that
     *                               request's exception instead
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        RuntimeException failure = null;
        if (pageServer != null && finalRequest == null) {
            try {
                stopPageServer();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        closed = true;
        ExitStatus status = swrk.reap(EXIT_GRACE);
        CriuProtocolException ended = null;
        if (status == null) {
            ended = new CriuProtocolException("criu swrk (pid " + swrk.pid() + ") did not exit, not even on SIGKILL");
        } else if (finalRequestSucceeded && !status.success()) {
            ended = new CriuProtocolException("criu swrk (pid " + swrk.pid() + ") ended with " + status
                    + " after a successful " + finalRequest);
        } else if (finalRequest == null && status.signaled()) {
            ended = new CriuProtocolException("criu swrk (pid " + swrk.pid() + ") was " + status
                    + " (it did not exit within " + EXIT_GRACE.toSeconds() + " s of the hang-up)");
        }
        if (ended != null) {
            if (failure != null) failure.addSuppressed(ended);
            else failure = ended;
        }
        if (failure != null) throw failure;
    }

    // ---- the request/answer loop ----

    /** CRIU's final answer to a request, and the first callback that threw on the way. */
    private record Answer(Rpc.criu_resp resp, String failedHook, Exception hookFailure) {
        String hookReason() {
            return "the " + failedHook + " callback threw " + hookFailure;
        }
    }

    private static Rpc.criu_req.Builder request(Rpc.criu_req_type type) {
        return Rpc.criu_req.newBuilder().setType(type);
    }

    private static Rpc.criu_opts.Builder withNotify(Rpc.criu_opts.Builder opts, CriuNotify notify) {
        return notify != null && notify != CriuNotify.NONE ? opts.setNotifyScripts(true) : opts;
    }

    /**
     * Sends {@code req} and reads until its answer, answering every NOTIFY on the way. A final request marks the
     * client spent before anything is sent: swrk will not take another one, whatever happens.
     */
    private Answer exchange(Rpc.criu_req.Builder req, String step, Path log, CriuNotify notify, boolean last) {
        usable(step, last && req.getType() != Rpc.criu_req_type.WAIT_PID);
        if (last) finalRequest = step;
        notify = Objects.requireNonNullElse(notify, CriuNotify.NONE);
        swrk.send(req.build().toByteArray(), step);
        String failedHook = null;
        Exception hookFailure = null;
        while (true) {
            Rpc.criu_resp resp = parse(swrk.receive(step), step);
            if (resp.getType() == Rpc.criu_req_type.NOTIFY) {
                String hook = resp.getNotify().getScript();
                boolean ok = true;
                try {
                    notify.notified(hook, resp.getNotify().getPid());
                } catch (Exception e) {
                    ok = false;
                    if (hookFailure == null) {
                        failedHook = hook;
                        hookFailure = e;
                    } else {
                        hookFailure.addSuppressed(e);
                    }
                }
                swrk.send(request(Rpc.criu_req_type.NOTIFY).setNotifySuccess(ok).build().toByteArray(),
                        step + " (" + hook + " answer)");
                continue;
            }
            boolean invalid = resp.getType() == Rpc.criu_req_type.EMPTY && !resp.getSuccess();
            if (resp.getType() != answerType(req.getType()) && !invalid) {
                throw new CriuProtocolException("CRIU answered the " + step + " request with a " + resp.getType()
                        + " message");
            }
            Answer answer = new Answer(resp, failedHook, hookFailure);
            if (!resp.getSuccess()) {
                String reason = hookFailure != null ? answer.hookReason()
                        : invalid ? "CRIU refused the request as invalid" : null;
                CriuException e = failure(step, reason, resp, log, hookFailure);
                if (resp.hasRestore() && resp.getRestore().getPid() > 0) {
                    // With rst_sibling a half-restored root is our child: CRIU kills it, we must reap it.
                    RestoredProcess.discard(resp.getRestore().getPid());
                }
                if (last) {
                    ExitStatus status = swrk.reap(EXIT_GRACE);
                    if (status != null && !status.success()) {
                        e.addSuppressed(new CriuProtocolException("criu swrk (pid " + swrk.pid() + ") then ended with "
                                + status));
                    }
                }
                throw e;
            }
            if (last) finalRequestSucceeded = true;
            return answer;
        }
    }

    /** The type of CRIU's answer to a request of type {@code type}. */
    private static Rpc.criu_req_type answerType(Rpc.criu_req_type type) {
        // cr-service.c answers both page-server requests as PAGE_SERVER.
        return type == Rpc.criu_req_type.PAGE_SERVER_CHLD ? Rpc.criu_req_type.PAGE_SERVER : type;
    }

    /** Refuses a request swrk cannot take any more; {@code orphans} when it would end swrk before a page server. */
    private void usable(String step, boolean orphans) {
        if (closed) throw new IllegalStateException("this CriuClient is closed; cannot " + step);
        if (finalRequest != null) {
            throw new IllegalStateException("criu swrk (pid " + swrk.pid() + ") already served its final request ("
                    + finalRequest + ") and exits after it, so it cannot " + step
                    + "; start another CriuClient (CRIU serves one check, dump, restore or wait per swrk process)");
        }
        if (orphans && pageServer != null) {
            throw new IllegalStateException("the page server this client started (pid " + pageServer.pid()
                    + ") must be awaited or stopped before " + step + ", or it would lose its parent");
        }
    }

    private static Rpc.criu_resp parse(byte[] packet, String step) {
        try {
            return Rpc.criu_resp.parseFrom(packet);
        } catch (InvalidProtocolBufferException e) {
            throw new CriuProtocolException("CRIU's answer to " + step + " is not a criu_resp (" + packet.length
                    + " bytes): " + e.getMessage(), e);
        }
    }

    private static CriuException failure(String step, String reason, Rpc.criu_resp resp, Path log, Exception cause) {
        // cr_errmsg is CRIU's first error line, which here is often the harmless RLIMIT_NOFILE one.
        String crErrmsg = resp.hasCrErrmsg() ? CriuLog.strip(resp.getCrErrmsg()) : null;
        if (crErrmsg != null && CriuLog.harmless(crErrmsg)) crErrmsg = null;
        return new CriuException(step, reason, resp.getCrErrno(), crErrmsg,
                log != null ? CriuLog.errors(log) : List.of(), log, cause);
    }

    /** The images and work directories, open for the length of one request (CRIU reads them via /proc). */
    private static final class Dirs implements AutoCloseable {
        final int images;
        final int work;

        private Dirs(int images, int work) {
            this.images = images;
            this.work = work;
        }

        static Dirs open(CriuOptions options) {
            int images = openDir(options.imagesDir(), "images");
            try {
                return new Dirs(images, options.hasWorkDir() ? openDir(options.workDir(), "work") : -1);
            } catch (RuntimeException e) {
                Libc.close(images);
                throw e;
            }
        }

        private static int openDir(Path dir, String what) {
            try {
                return Libc.open(dir.toString(), Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
            } catch (ErrnoException e) {
                throw new IllegalArgumentException("the " + what + " directory " + dir + " cannot be opened: "
                        + ErrnoException.describe(e.errno()), e);
            }
        }

        @Override
        public void close() {
            Libc.close(images);
            if (work >= 0) Libc.close(work);
        }
    }
}
