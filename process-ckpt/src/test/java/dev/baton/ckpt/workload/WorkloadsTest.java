package dev.baton.ckpt.workload;

import dev.baton.netns.NetnsLab;
import dev.baton.socket.StateJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

@Tag("privileged")
class WorkloadsTest {
    @TempDir
    Path state;

    private NetnsLab lab;
    private Workloads workloads;

    @BeforeEach
    void setUp() {
        lab = NetnsLab.create("a");
        workloads = new Workloads(state);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (Workload w : workloads.list()) {
            workloads.kill(w.name());
            for (int i = 0; i < 200 && Workloads.isRunning(w); i++) Thread.sleep(5);
        }
        lab.close();
    }

    @Test
    void aWorkloadRunsAsPidOneOfItsOwnPidAndMountNamespaceInTheGivenNetns() throws Exception {
        String ns = lab.host("a").nsName();
        Workload w = workloads.start("echo", List.of("socat", "TCP-LISTEN:7000,reuseaddr,fork", "EXEC:cat"), ns);

        String status = Files.readString(Path.of("/proc", Long.toString(w.rootPid()), "status"));
        String nspid = status.lines().filter(l -> l.startsWith("NSpid:")).findFirst().orElseThrow();
        assertEquals(List.of(Long.toString(w.rootPid()), "1"), List.of(nspid.substring(6).trim().split("\\s+")),
                "PID 1 of a PID namespace of its own");
        assertNotEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")),
                Files.readSymbolicLink(Path.of("/proc", Long.toString(w.rootPid()), "ns/mnt")));
        long nsInode = (Long) Files.getAttribute(Path.of("/run/netns", ns), "unix:ino");
        assertEquals("net:[" + nsInode + "]",
                Files.readSymbolicLink(Path.of("/proc", Long.toString(w.rootPid()), "ns/net")).toString());

        WorkloadStatus s = awaitListening(w);
        assertTrue(s.running());
        assertEquals(List.of("0.0.0.0:7000"), s.listening().stream().map(StateJson::format).toList());
        assertEquals(w, workloads.get("echo"), "the record reads back as written");
    }

    @Test
    void theWorkloadsMountTableHoldsNoNamespaceFilesThatCouldVanishBeforeARestore() throws Exception {
        assertTrue(Files.readString(Path.of("/proc/self/mountinfo")).contains(" - nsfs "),
                "the lab's /run/netns entries are nsfs mounts here");
        Workload w = workloads.start("quiet", List.of("sleep", "60"), lab.host("a").nsName());
        String mounts = Files.readString(Path.of("/proc", Long.toString(w.rootPid()), "mountinfo"));
        assertFalse(mounts.contains(" - nsfs "), mounts);
        assertTrue(mounts.contains(" /proc "), "it has a /proc of its own");
    }

    @Test
    void stdioGoesToFilesAndTheWorkloadHasNoOtherDescriptors() throws Exception {
        Workload w = workloads.start(null, List.of("sh", "-c", "echo out; echo err >&2; ls /proc/self/fd; sleep 60"),
                lab.host("a").nsName());
        assertTrue(w.name().startsWith("sh-"), w.name());
        String out = awaitContent(w.stdout(), "out");
        assertEquals("out\n0\n1\n2\n3\n", out, "fds 0-2, and 3 is ls's own directory");
        assertEquals("err\n", awaitContent(w.stderr(), "err"));
        assertEquals("/dev/null", Files.readSymbolicLink(Path.of("/proc", Long.toString(w.rootPid()), "fd/0")).toString());
    }

    @Test
    void aTakenNameAnUnknownNetnsAndABadNameAreRefusedClearly() {
        workloads.start("one", List.of("sleep", "60"), null);
        WorkloadException taken = assertThrows(WorkloadException.class,
                () -> workloads.start("one", List.of("sleep", "60"), null));
        assertTrue(taken.getMessage().contains("already recorded"), taken.getMessage());
        WorkloadException noNs = assertThrows(WorkloadException.class,
                () -> workloads.start("two", List.of("sleep", "60"), "baton-no-such-ns"));
        assertEquals("no network namespace named 'baton-no-such-ns' (ip netns list)", noNs.getMessage());
        assertThrows(WorkloadException.class, () -> workloads.start("../x", List.of("sleep", "60"), null));
        WorkloadException missing = assertThrows(WorkloadException.class, () -> workloads.get("nope"));
        assertTrue(missing.getMessage().contains("known: one"), missing.getMessage());
    }

    @Test
    void aCommandThatCannotStartIsReportedWithItsErrorAndNotRecorded() {
        WorkloadException e = assertThrows(WorkloadException.class,
                () -> workloads.start("ghost", List.of("/nonexistent/program"), null));
        assertTrue(e.getMessage().startsWith("ghost exited at once: "), e.getMessage());
        assertTrue(e.getMessage().contains("/nonexistent/program"), e.getMessage());
        assertTrue(workloads.find("ghost").isEmpty());
    }

    @Test
    void killEndsTheWholePidNamespaceAndForgetDropsTheRecord() throws Exception {
        Workload w = workloads.start("tree", List.of("sh", "-c", "sleep 60 & sleep 60 & wait"), null);
        for (int i = 0; i < 200 && workloads.status(w).processes() < 3; i++) Thread.sleep(5);
        List<Long> tree = ProcTree.tree(w.rootPid());
        assertEquals(3, tree.size(), "sh and two sleeps");
        workloads.kill("tree");
        for (int i = 0; i < 400 && tree.stream().anyMatch(p -> Files.exists(Path.of("/proc/" + p))); i++) Thread.sleep(5);
        assertFalse(Workloads.isRunning(w));
        workloads.forget("tree");
        assertTrue(workloads.find("tree").isEmpty());
    }

    private WorkloadStatus awaitListening(Workload w) throws InterruptedException {
        WorkloadStatus s = workloads.status(w);
        for (int i = 0; i < 400 && s.listening().isEmpty(); i++) {
            Thread.sleep(5);
            s = workloads.status(w);
        }
        return s;
    }

    private static String awaitContent(Path file, String marker) throws Exception {
        for (int i = 0; i < 400; i++) {
            String s = Files.exists(file) ? Files.readString(file) : "";
            if (s.contains(marker) && s.endsWith("\n") && (!marker.equals("out") || s.contains("3\n"))) return s;
            Thread.sleep(5);
        }
        return Files.readString(file);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
