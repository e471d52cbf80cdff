package dev.baton.ckpt.criu;

import dev.baton.netns.NetnsLab;
import dev.baton.netns.NetnsLab.Host;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Dump and restore of real workloads started like Baton's {@code run} (own PID and mount namespace) on the hosts
 * of a lab: state continues on another host, notifications, failures that must leave the workload alone.
 */
@Tag("privileged")
class DumpRestoreTest {
    /** Appends 1, 2, 3, … to its standard output: state that must continue, not restart. */
    static final String[] COUNTER = {"sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.02; done"};

    /** Listens on 0.0.0.0:7000 and sleeps. */
    static final String[] LISTENER = {"/usr/bin/python3", "-c", """
            import socket, time
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", 7000))
            s.listen()
            print("listening", flush=True)
            while True:
                time.sleep(3600)
            """};

    @TempDir
    Path dir;

    /** What a workload in its own mount namespace needs on dump and restore. */
    static CriuOptions.Builder options(Path images) {
        return CriuOptions.builder(images).autoExtMnt(true).extSharing(true).extMasters(true);
    }

    private Path images() throws Exception {
        return Files.createDirectories(dir.resolve("images"));
    }

    static CriuClient criuIn(Host host) {
        return CriuClient.start(CriuLaunch.defaults().inNetns(host.netns().path()));
    }

    static void assertCountsFromOne(List<String> lines) {
        List<String> expected = IntStream.rangeClosed(1, lines.size()).mapToObj(Integer::toString).toList();
        assertEquals(expected, lines, "the counter went 1, 2, 3, … without restarting or skipping");
    }

    static void stop(RestoredProcess p) throws Exception {
        p.kill();
        p.onExit().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aCounterDumpedOnOneHostCountsOnFromWhereItStoppedOnAnother() throws Exception {
        try (NetnsLab lab = NetnsLab.create("a", "b");
             Workload w = Workload.start(lab.host("a"), dir, COUNTER)) {
            w.awaitLines(10);
            Path images = images();
            DumpResult dump;
            try (CriuClient criu = criuIn(lab.host("a"))) {
                dump = criu.dump(options(images).pid(w.root).tcpEstablished(true)
                        .networkLock(CriuOptions.NetworkLock.SKIP).build(), CriuNotify.NONE);
            }
            w.awaitGone();
            List<String> atDump = w.lines();
            assertCountsFromOne(atDump);
            assertEquals(images.resolve("dump.log"), dump.log());
            assertTrue(Files.size(dump.log()) > 0, "CRIU's log is kept with the images");
            DumpStats stats = dump.stats().orElseThrow(() -> new AssertionError("no stats-dump in " + images));
            assertTrue(stats.frozen().compareTo(Duration.ZERO) > 0 && stats.frozen().compareTo(dump.wallTime()) < 0,
                    stats + " within " + dump.wallTime());
            assertTrue(stats.pagesWritten() > 0, stats.toString());

            RestoreResult restored;
            try (CriuClient criu = criuIn(lab.host("b"))) {
                restored = criu.restore(options(images).root("/").tcpEstablished(true).build(), CriuNotify.NONE);
            }
            try {
                assertEquals(Files.getAttribute(lab.host("b").netns().path(), "unix:ino"),
                        Files.getAttribute(Path.of("/proc", Integer.toString(restored.pid()), "ns", "net"), "unix:ino"),
                        "the restored tree lives in b's network namespace");
                w.awaitLines(atDump.size() + 10);
                List<String> after = w.lines();
                assertCountsFromOne(after);
                assertTrue(after.size() >= atDump.size() + 10);
                assertTrue(restored.stats().isPresent(), "stats-restore read");
            } finally {
                stop(restored.process());
            }
            assertFalse(Files.exists(Path.of("/proc", Integer.toString(restored.pid()))), "restored root reaped");
        }
    }

    @Test
    void notificationsArriveInOrderWithTheRestoredPid() throws Exception {
        try (NetnsLab lab = NetnsLab.create("a");
             Workload w = Workload.start(lab.host("a"), dir, COUNTER)) {
            w.awaitLines(3);
            Path images = images();
            Recorder dumpHooks = new Recorder();
            try (CriuClient criu = criuIn(lab.host("a"))) {
                criu.dump(options(images).pid(w.root).tcpEstablished(true).build(), dumpHooks);
            }
            assertEquals(List.of("pre-dump", "post-dump"), dumpHooks.names);

            w.awaitGone();
            Recorder restoreHooks = new Recorder();
            RestoreResult restored;
            try (CriuClient criu = criuIn(lab.host("a"))) {
                restored = criu.restore(options(images).root("/").tcpEstablished(true).build(), restoreHooks);
            }
            try {
                assertEquals(List.of("pre-restore", "setup-namespaces " + restored.pid(), "post-setup-namespaces",
                        "post-restore " + restored.pid(), "pre-resume", "post-resume"),
                        restoreHooks.names);
            } finally {
                stop(restored.process());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"pre-dump", "post-dump"})
    void aCallbackThatThrowsFailsTheDumpAndTheWorkloadKeepsRunning(String hook) throws Exception {
        try (NetnsLab lab = NetnsLab.create("a");
             Workload w = Workload.start(lab.host("a"), dir, COUNTER)) {
            w.awaitLines(3);
            IllegalStateException boom = new IllegalStateException("the gateway refused at " + hook);
            Recorder throwing = new Recorder() {
                @Override
                void record(String name) {
                    super.record(name);
                    if (name.equals(hook)) throw boom;
                }
            };
            CriuException e;
            try (CriuClient criu = criuIn(lab.host("a"))) {
                e = assertThrows(CriuException.class,
                        () -> criu.dump(options(images()).pid(w.root).build(), throwing));
            }
            assertSame(boom, e.getCause());
            assertTrue(e.getMessage().contains("the " + hook + " callback threw"), e.getMessage());
            assertTrue(Workload.alive(w.root), "the workload survives a failed dump");
            assertNotEquals('T', Workload.state(w.root), "and is not left stopped");
            int before = w.lines().size();
            w.awaitLines(before + 5);
            assertCountsFromOne(w.lines());
        }
    }

    @Test
    void dumpingAPidThatDoesNotExistFailsWithCriusErrorLine() throws Exception {
        int pid = IntStream.iterate(32000, p -> p - 1).filter(p -> !Files.exists(Path.of("/proc/" + p)))
                .findFirst().orElseThrow();
        Path images = images();
        CriuException e;
        try (CriuClient criu = CriuClient.start(CriuLaunch.defaults())) {
            e = assertThrows(CriuException.class, () -> criu.dump(CriuOptions.builder(images).pid(pid).build(), null));
        }
        assertEquals("dump", e.request());
        assertEquals(3, e.crErrno(), "CRIU's own errno: ESRCH");
        assertTrue(e.getMessage().startsWith("CRIU dump failed (cr_errno ESRCH (No such process))\n"), e.getMessage());
        assertFalse(e.logErrors().isEmpty(), "error lines read from " + e.log());
        assertTrue(e.logErrors().getFirst().contains(pid + ": No such process"), e.logErrors().toString());
        assertTrue(e.logErrors().getLast().endsWith("Dumping FAILED."), e.logErrors().toString());
        assertTrue(e.getMessage().contains(String.join("\n  ", e.logErrors())), e.getMessage());
        assertEquals(images.resolve("dump.log"), e.log().orElseThrow());
        assertFalse(e.getMessage().contains("RLIMIT_NOFILE"), "the harmless line is left out: " + e.getMessage());
    }

    @Test
    void aRestoreCallbackThatThrowsFailsTheRestoreAndLeavesNoRestoredProcess() throws Exception {
        try (NetnsLab lab = NetnsLab.create("a");
             Workload w = Workload.start(lab.host("a"), dir, COUNTER)) {
            w.awaitLines(3);
            Path images = images();
            try (CriuClient criu = criuIn(lab.host("a"))) {
                criu.dump(options(images).pid(w.root).build(), CriuNotify.NONE);
            }
            Path ns = lab.host("a").netns().path();
            Workload.await("the dumped workload to be gone", () -> processesIn(ns).isEmpty(), Duration.ofSeconds(5));
            IllegalStateException boom = new IllegalStateException("sockets could not be re-pointed");
            int[] restoredPid = {0};
            CriuException e;
            try (CriuClient criu = criuIn(lab.host("a"))) {
                e = assertThrows(CriuException.class, () -> criu.restore(options(images).root("/").build(),
                        new CriuNotify() {
                            @Override
                            public void postRestore(int pid) {
                                restoredPid[0] = pid;
                                throw boom;
                            }
                        }));
            }
            assertSame(boom, e.getCause());
            assertTrue(restoredPid[0] > 0);
            Workload.await("no process left in a's namespace", () -> processesIn(ns).isEmpty(), Duration.ofSeconds(5));
            assertFalse(Files.exists(Path.of("/proc", Integer.toString(restoredPid[0]))),
                    "the half-restored root is reaped, not a zombie");
        }
    }

    @Test
    void aRestoreWhereTheListeningPortIsTakenFailsNamingTheCauseAndTheSourceCanStillRestore() throws Exception {
        try (NetnsLab lab = NetnsLab.create("a", "b");
             Workload w = Workload.start(lab.host("a"), dir, LISTENER)) {
            w.awaitLines(1);
            Path images = images();
            try (CriuClient criu = criuIn(lab.host("a"))) {
                criu.dump(options(images).pid(w.root).build(), CriuNotify.NONE);
            }
            w.awaitGone();

            Path b = lab.host("b").netns().path();
            CriuException e;
            try (ServerSocketChannel squatter = lab.host("b").netns().call(
                    () -> ServerSocketChannel.open().bind(new InetSocketAddress(7000)))) {
                assertEquals(7000, ((InetSocketAddress) squatter.getLocalAddress()).getPort());
                try (CriuClient criu = criuIn(lab.host("b"))) {
                    e = assertThrows(CriuException.class, () -> criu.restore(options(images).root("/").build(), null));
                }
            }
            assertTrue(e.getMessage().contains("Address already in use"), e.getMessage());
            assertEquals(images.resolve("restore.log"), e.log().orElseThrow());
            Workload.await("no process left in b's namespace", () -> processesIn(b).isEmpty(), Duration.ofSeconds(5));

            RestoreResult again;
            try (CriuClient criu = criuIn(lab.host("a"))) {
                again = criu.restore(options(images).root("/").build(), null);
            }
            try {
                try (SocketChannel c = lab.host("a").netns().call(
                        () -> SocketChannel.open(new InetSocketAddress(lab.host("a").address(), 7000)))) {
                    assertTrue(c.isConnected(), "the restored listener on the source accepts connections");
                }
            } finally {
                stop(again.process());
            }
        }
    }

    /** PIDs of the processes in the network namespace at {@code ns}. */
    static List<Integer> processesIn(Path ns) {
        List<Integer> pids = new ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            Object inode = Files.getAttribute(ns, "unix:ino");
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (inode.equals(Files.getAttribute(p.resolve("ns/net"), "unix:ino"))) {
                        pids.add(Integer.parseInt(p.getFileName().toString()));
                    }
                } catch (java.io.IOException gone) {
                    // ended meanwhile
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return pids;
    }

    static class Recorder implements CriuNotify {
        final List<String> names = new ArrayList<>();

        void record(String name) {
            names.add(name);
        }

        @Override public void preDump() { record("pre-dump"); }
        @Override public void networkLock() { record("network-lock"); }
        @Override public void postDump() { record("post-dump"); }
        @Override public void preRestore() { record("pre-restore"); }
        @Override public void setupNamespaces(int pid) { record("setup-namespaces " + pid); }
        @Override public void postSetupNamespaces() { record("post-setup-namespaces"); }
        @Override public void postRestore(int pid) { record("post-restore " + pid); }
        @Override public void networkUnlock() { record("network-unlock"); }
        @Override public void preResume() { record("pre-resume"); }
        @Override public void postResume() { record("post-resume"); }
    }
}
