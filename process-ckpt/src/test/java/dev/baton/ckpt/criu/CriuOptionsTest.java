package dev.baton.ckpt.criu;

import dev.baton.ckpt.criu.rpc.Rpc;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The options builder and the criu_opts message it becomes. */
class CriuOptionsTest {
    private static final Path IMAGES = Path.of("/images");

    @Test
    void onlyWhatIsSetReachesCriuExceptTheLogLevelWhichDefaultsToFour() {
        Rpc.criu_opts opts = CriuOptions.builder(IMAGES).build().toRpc(7, -1, "dump.log").build();
        assertEquals(7, opts.getImagesDirFd());
        assertEquals(4, opts.getLogLevel());
        assertEquals("dump.log", opts.getLogFile());
        assertFalse(opts.hasTcpEstablished() || opts.hasNetworkLock() || opts.hasPid() || opts.hasWorkDirFd()
                || opts.hasLeaveRunning() || opts.hasRoot() || opts.hasManageCgroupsMode());
        assertEquals(IMAGES, CriuOptions.builder(IMAGES).build().workDir(), "the log lives with the images");
    }

    @Test
    void eachSetterMapsOntoItsField() {
        CriuOptions o = CriuOptions.builder(IMAGES).workDir(Path.of("/work")).logLevel(2).pid(42).root("/")
                .tcpEstablished(true).networkLock(CriuOptions.NetworkLock.SKIP).shellJob(true).leaveStopped(true)
                .extUnixSk(true).fileLocks(true).manageCgroups(CriuOptions.CgroupMode.NONE).autoExtMnt(true)
                .extSharing(true).extMasters(true).external("mnt[/data]:data").pageServer("198.18.0.2", 27)
                .lazyPages(true).build();
        Rpc.criu_opts m = o.toRpc(3, 4, "restore.log").build();
        assertEquals(4, m.getWorkDirFd());
        assertEquals(2, m.getLogLevel());
        assertEquals(42, m.getPid());
        assertEquals("/", m.getRoot());
        assertTrue(m.getTcpEstablished() && m.getShellJob() && m.getLeaveStopped() && m.getExtUnixSk()
                && m.getFileLocks() && m.getAutoExtMnt() && m.getExtSharing() && m.getExtMasters() && m.getLazyPages());
        assertEquals(Rpc.criu_network_lock_method.SKIP, m.getNetworkLock());
        assertEquals(Rpc.criu_cg_mode.CG_NONE, m.getManageCgroupsMode());
        assertEquals(List.of("mnt[/data]:data"), m.getExternalList());
        assertEquals("198.18.0.2", m.getPs().getAddress());
        assertEquals(27, m.getPs().getPort());
        assertEquals(Path.of("/work"), o.workDir());
    }

    @Test
    void contradictoryOptionsAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> CriuOptions.builder(IMAGES).leaveRunning(true).leaveStopped(true).build());
        assertThrows(IllegalArgumentException.class,
                () -> CriuOptions.builder(IMAGES).tcpEstablished(true).tcpClose(true).build());
        assertThrows(IllegalArgumentException.class, () -> CriuOptions.builder(IMAGES).logLevel(5));
        assertThrows(IllegalArgumentException.class, () -> CriuOptions.builder(IMAGES).pid(0));
    }

    @Test
    void theLaunchRunsCriuThroughNsenterOnlyWhenANamespaceIsGiven() {
        CriuLaunch plain = CriuLaunch.defaults().withCriu(Path.of("/usr/local/sbin/criu"));
        assertEquals(List.of("/usr/local/sbin/criu", "swrk", "3"), plain.argv(3));
        assertEquals(List.of("nsenter", "--net=/run/netns/x", "--", "/usr/local/sbin/criu", "swrk", "3"),
                plain.inNetns(Path.of("/run/netns/x")).argv(3));
    }
}
