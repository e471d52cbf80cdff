package dev.baton.ckpt.criu;

import dev.baton.netns.NetnsLab;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The client's own conversation with swrk: version, check, where swrk runs, how many requests it serves. */
@Tag("privileged")
class CriuClientTest {
    @TempDir
    Path dir;

    @Test
    void versionSaysFourTwo() {
        try (CriuClient criu = CriuClient.start(CriuLaunch.defaults())) {
            CriuVersion v = criu.version();
            assertEquals(4, v.major(), v.toString());
            assertEquals(2, v.minor(), v.toString());
            assertTrue(v.atLeast(4, 2));
            assertEquals(v, criu.version(), "version keeps the session open");
        }
    }

    @Test
    void checkPasses() {
        try (CriuClient criu = CriuClient.start(CriuLaunch.defaults())) {
            criu.check();
        }
    }

    @Test
    void swrkStartedInsideANetworkNamespaceRunsThere() throws Exception {
        try (NetnsLab lab = NetnsLab.create("a")) {
            Path ns = lab.host("a").netns().path();
            try (CriuClient criu = CriuClient.start(CriuLaunch.defaults().inNetns(ns))) {
                criu.version(); // answered by CRIU itself, so nsenter has exec'ed it by now
                Path swrkNs = Path.of("/proc", Integer.toString(criu.pid()), "ns", "net");
                assertEquals(Files.getAttribute(ns, "unix:ino"), Files.getAttribute(swrkNs, "unix:ino"));
                assertNotEquals(Files.getAttribute(Path.of("/proc/self/ns/net"), "unix:ino"),
                        Files.getAttribute(swrkNs, "unix:ino"));
                assertTrue(Files.readString(Path.of("/proc", Integer.toString(criu.pid()), "cmdline")).startsWith(
                        CriuLaunch.defaults().criu() + "\0swrk\0"), "nsenter exec'ed criu in place");
            }
        }
    }

    @Test
    void aSecondFinalRequestIsRefusedBecauseSwrkExitsAfterTheFirst() {
        try (CriuClient criu = CriuClient.start(CriuLaunch.defaults())) {
            criu.check();
            IllegalStateException e = assertThrows(IllegalStateException.class, criu::version);
            assertTrue(e.getMessage().contains("already served its final request (check)"), e.getMessage());
        }
    }

    @Test
    void aDumpWithoutAPidIsRefusedBeforeCriuCouldDumpThisJvm() {
        try (CriuClient criu = CriuClient.start(CriuLaunch.defaults())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> criu.dump(CriuOptions.builder(dir).build(), CriuNotify.NONE));
            assertTrue(e.getMessage().contains("PID"), e.getMessage());
            assertEquals(4, criu.version().major(), "nothing was sent: the session is still open");
        }
    }

    @Test
    void closeReapsSwrkAndIsIdempotent() {
        CriuClient criu = CriuClient.start(CriuLaunch.defaults());
        criu.version();
        int pid = criu.pid();
        criu.close();
        criu.close();
        assertFalse(Files.exists(Path.of("/proc", Integer.toString(pid))), "swrk reaped, not left a zombie");
        assertThrows(IllegalStateException.class, criu::version);
    }

    @Test
    void aNetworkNamespaceThatDoesNotExistIsRefusedBeforeSpawning() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CriuClient.start(CriuLaunch.defaults().inNetns(Path.of("/run/netns/baton-no-such-ns"))));
        assertTrue(e.getMessage().contains("/run/netns/baton-no-such-ns"), e.getMessage());
    }

    @Test
    void aMissingCriuBinaryIsAProtocolErrorNamingTheCommand() {
        // posix_spawnp reports a failed exec to the parent: start fails, there is no process to talk to.
        CriuProtocolException e = assertThrows(CriuProtocolException.class,
                () -> CriuClient.start(CriuLaunch.defaults().withCriu(Path.of("/nonexistent/criu"))));
        assertEquals("cannot start /nonexistent/criu swrk 3: posix_spawnp(/nonexistent/criu): ENOENT (No such file"
                + " or directory)", e.getMessage());
    }
}
