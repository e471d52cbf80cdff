package dev.baton.ckpt;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatonHomeTest {
    @AfterEach
    void clear() {
        System.clearProperty(BatonHome.PROPERTY);
        System.clearProperty(BatonHome.IMAGES_PROPERTY);
    }

    @Test
    void imagesGoToMemoryWhenTheMachineHasDevShmOneDirectoryPerHome() {
        Path a = BatonHome.defaultImages(Path.of("/var/lib/baton"));
        Path b = BatonHome.defaultImages(Path.of("/tmp/lab/b"));
        if (Files.isDirectory(Path.of("/dev/shm"))) {
            assertEquals(Path.of("/dev/shm"), a.getParent());
            assertTrue(a.getFileName().toString().matches("baton-images-[0-9a-f]{12}"), a.toString());
        } else {
            assertEquals(Path.of("/var/lib/baton/images"), a);
        }
        assertNotEquals(a, b, "two homes on one machine never share images");
        assertEquals(a, BatonHome.defaultImages(Path.of("/var/lib/baton/")), "the same home, however written");
    }

    @Test
    void theImagesSettingWinsAndTheDefaultFollowsTheHome() {
        System.setProperty(BatonHome.PROPERTY, "/tmp/some-home");
        assertEquals(BatonHome.defaultImages(Path.of("/tmp/some-home")), BatonHome.images());
        System.setProperty(BatonHome.IMAGES_PROPERTY, "/srv/images");
        assertEquals(Path.of("/srv/images"), BatonHome.images());
    }
}
