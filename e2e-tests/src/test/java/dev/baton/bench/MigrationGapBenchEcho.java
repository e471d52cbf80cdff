package dev.baton.bench;

import dev.baton.ckpt.workload.Workload;
import dev.baton.demo.ProcessMigrationScenario;
import dev.baton.socket.internal.Libc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The small workload both lanes of {@link MigrationGapBench} migrate: a Python echo server (one process, one epoll
 * loop, ~10 MiB resident) with in-memory state — the bytes it echoed, and for each connection when it last read
 * and the longest silence since the last report. That silence is the <em>up</em> direction of the peer-visible gap:
 * how long the workload went without a byte from a peer. SIGUSR1 prints a {@code GAPS} line and starts a new
 * window; a {@code tick} line each second shows that the echoed counter goes on from memory after each move.
 */
final class MigrationGapBenchEcho {
    private static final int SIGUSR1 = 10;
    private static final Pattern GAPS = Pattern.compile(
            "^GAPS conns=(\\d+) max=([0-9.]+) p50=([0-9.]+) echoed=(\\d+)$");
    private static final Pattern TICK = Pattern.compile("^tick \\d+ echoed (\\d+) conns \\d+$");

    private static final String SCRIPT = """
            import selectors, signal, socket, sys, time
            clock = time.time  # wall clock: a time namespace given on restore may shift CLOCK_MONOTONIC
            EV_R, EV_W = selectors.EVENT_READ, selectors.EVENT_WRITE
            port = int(sys.argv[1])
            sel = selectors.DefaultSelector()
            srv = socket.socket()
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            srv.bind(("0.0.0.0", port))
            srv.listen(4096)
            srv.setblocking(False)
            sel.register(srv, EV_R)
            conns = {}  # socket -> [bytes not echoed yet, last read (s), longest silence this window (s)]
            echoed = 0

            def report(signum, frame):
                gaps = sorted(st[2] * 1000 for st in conns.values())
                n = len(gaps)
                print("GAPS conns=%d max=%.3f p50=%.3f echoed=%d" % (n, gaps[-1] if n else 0, gaps[n // 2] if n else 0,
                      echoed), flush=True)
                for st in conns.values():
                    st[2] = 0.0

            def close(s):
                sel.unregister(s)
                del conns[s]
                s.close()

            signal.signal(signal.SIGUSR1, report)
            print("LISTENING", port, flush=True)
            ticks = 0
            next_tick = time.monotonic() + 1
            while True:
                for key, events in sel.select(max(0.0, next_tick - time.monotonic())):
                    s = key.fileobj
                    if s is srv:
                        while True:
                            try:
                                c, _ = srv.accept()
                            except BlockingIOError:
                                break
                            c.setblocking(False)
                            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                            conns[c] = [b"", clock(), 0.0]
                            sel.register(c, EV_R)
                        continue
                    st = conns.get(s)
                    if st is None:
                        continue
                    had = bool(st[0])
                    if events & EV_R:
                        try:
                            data = s.recv(65536)
                        except BlockingIOError:
                            data = None
                        except OSError:
                            data = b""
                        if data == b"":
                            close(s)
                            continue
                        if data:
                            now = clock()
                            if now - st[1] > st[2]:
                                st[2] = now - st[1]
                            st[1] = now
                            echoed += len(data)
                            st[0] += data
                    if st[0]:
                        try:
                            st[0] = st[0][s.send(st[0]):]
                        except BlockingIOError:
                            pass
                        except OSError:
                            close(s)
                            continue
                    if bool(st[0]) != had:
                        sel.modify(s, EV_R | (EV_W if st[0] else 0))
                if time.monotonic() >= next_tick:
                    ticks += 1
                    next_tick += 1
                    print("tick %d echoed %d conns %d" % (ticks, echoed, len(conns)), flush=True)
            """;

    /** One window of the workload's view: its connections, their longest silence (max, median), bytes echoed. */
    record UpGaps(int connections, double maxMs, double medianMs, long echoed) {
    }

    private MigrationGapBenchEcho() {
    }

    /** The workload's command line: the system's Python 3 (the one CRIU dumps), listening on {@code port}. */
    static List<String> command(int port) {
        return List.of("/usr/bin/python3", "-c", SCRIPT, Integer.toString(port));
    }

    /** Waits until the workload listens. */
    static void awaitListening(Workload w) throws InterruptedException {
        ProcessMigrationScenario.awaitListening(w);
    }

    /**
     * Ends the workload's current window: SIGUSR1 to its root (the Python process, PID 1 of its PID namespace), then
     * its {@code GAPS} line. The next window starts at once.
     */
    static UpGaps window(Workload w) throws InterruptedException {
        int before = gapLines(w).size();
        Libc.kill((int) w.rootPid(), SIGUSR1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            List<String> lines = gapLines(w);
            if (lines.size() > before) {
                Matcher m = GAPS.matcher(lines.get(before));
                if (!m.matches()) throw new IllegalStateException("unexpected report from the workload: " + lines.get(before));
                return new UpGaps(Integer.parseInt(m.group(1)), Double.parseDouble(m.group(2)),
                        Double.parseDouble(m.group(3)), Long.parseLong(m.group(4)));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the workload (PID " + w.rootPid() + ") printed no GAPS line within 10 s"
                        + " of SIGUSR1");
            }
            Thread.sleep(5);
        }
    }

    /** The echoed counter of each {@code tick} line so far: it must only grow, across every move. */
    static List<Long> echoedByTick(Workload w) {
        return lines(w).stream().map(TICK::matcher).filter(Matcher::matches).map(m -> Long.parseLong(m.group(1))).toList();
    }

    /** True when the echoed counter never went back (the workload was never restarted from scratch). */
    static boolean countedOn(Workload w) {
        List<Long> echoed = echoedByTick(w);
        for (int i = 1; i < echoed.size(); i++) {
            if (echoed.get(i) < echoed.get(i - 1)) return false;
        }
        return !echoed.isEmpty() && lines(w).stream().filter(l -> l.startsWith("LISTENING")).count() == 1;
    }

    private static List<String> gapLines(Workload w) {
        return lines(w).stream().filter(l -> l.startsWith("GAPS")).toList();
    }

    private static List<String> lines(Workload w) {
        try {
            return Files.exists(w.stdout()) ? Files.readAllLines(w.stdout()) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the output of workload " + w.name(), e);
        }
    }
}
