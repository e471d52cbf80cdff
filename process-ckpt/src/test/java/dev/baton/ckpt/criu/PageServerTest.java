package dev.baton.ckpt.criu;

import dev.baton.netns.NetnsLab;
import dev.baton.netns.NetnsLab.Host;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.baton.ckpt.criu.DumpRestoreTest.COUNTER;
import static dev.baton.ckpt.criu.DumpRestoreTest.assertCountsFromOne;
import static dev.baton.ckpt.criu.DumpRestoreTest.criuIn;
import static dev.baton.ckpt.criu.DumpRestoreTest.options;
import static dev.baton.ckpt.criu.DumpRestoreTest.stop;
import static org.junit.jupiter.api.Assertions.*;

/** CRIU's page server, started and reaped through swrk (PAGE_SERVER_CHLD, WAIT_PID). */
@Tag("privileged")
class PageServerTest {
    @TempDir
    Path dir;

    @Test
    void aPageServerListensOnThePortItReportsAndStopsWhenAsked() throws Exception {
        try (NetnsLab lab = NetnsLab.create("b")) {
            Host b = lab.host("b");
            Path images = Files.createDirectories(dir.resolve("images"));
            PageServer ps;
            try (CriuClient criu = criuIn(b)) {
                ps = criu.startPageServer(CriuOptions.builder(images).pageServer(b.address().getHostAddress(), 0).build());
                assertTrue(ps.port() > 0, ps.toString());
                assertTrue(Workload.alive(ps.pid()), ps.toString());
                String listening = b.netns().exec(null, "ss", "-ltnH");
                assertTrue(listening.contains(b.address().getHostAddress() + ":" + ps.port()), listening);
                criu.stopPageServer();
                assertFalse(Files.exists(Path.of("/proc", Integer.toString(ps.pid()))), "reaped by swrk");
            }
        }
    }

    @Test
    void aClientRefusesToEndSwrkUnderARunningPageServerAndStopsItOnClose() throws Exception {
        try (NetnsLab lab = NetnsLab.create("b")) {
            Host b = lab.host("b");
            Path images = Files.createDirectories(dir.resolve("images"));
            CriuClient criu = criuIn(b);
            PageServer ps;
            try {
                ps = criu.startPageServer(CriuOptions.builder(images).pageServer(b.address().getHostAddress(), 0).build());
                IllegalStateException e = assertThrows(IllegalStateException.class, criu::check);
                assertTrue(e.getMessage().contains("must be awaited or stopped"), e.getMessage());
            } finally {
                criu.close();
            }
            assertFalse(Files.exists(Path.of("/proc", Integer.toString(ps.pid()))), "stopped and reaped on close");
        }
    }

    @Test
    void aDumpWritesItsPagesThroughAPageServerAndTheTreeRestoresFromThem() throws Exception {
        try (NetnsLab lab = NetnsLab.create("a", "b");
             Workload w = Workload.start(lab.host("a"), dir, COUNTER)) {
            Host a = lab.host("a"), b = lab.host("b");
            w.awaitLines(5);
            // One directory for both sides: the dump writes all but the pages, the page server the pages.
            Path images = Files.createDirectories(dir.resolve("images"));
            try (CriuClient target = criuIn(b)) {
                PageServer ps = target.startPageServer(options(images).pageServer(b.address().getHostAddress(), 0)
                        .build());
                try (CriuClient source = criuIn(a)) {
                    source.dump(options(images).pid(w.root).pageServer(b.address().getHostAddress(), ps.port()).build(),
                            CriuNotify.NONE);
                }
                target.awaitPageServer();
            }
            w.awaitGone();
            assertTrue(Files.exists(images.resolve("page-server.log")));
            int atDump = w.lines().size();
            RestoreResult restored;
            try (CriuClient criu = criuIn(b)) {
                restored = criu.restore(options(images).root("/").build(), CriuNotify.NONE);
            }
            try {
                w.awaitLines(atDump + 5);
                assertCountsFromOne(w.lines());
            } finally {
                stop(restored.process());
            }
        }
    }
}
