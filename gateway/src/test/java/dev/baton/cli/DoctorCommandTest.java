package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.socket.StateJson;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DoctorCommandTest {
    private static final List<String> EXPECTED = List.of("java", "kernel", "criu", "criu check", "criu kdat cache", "nftables",
            "iproute2", "libpcap", "tcpdump", "network namespaces", "TCP_REPAIR", "pidfd_open/pidfd_getfd",
            "userfaultfd", "cluster keys", "CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_CHECKPOINT_RESTORE",
            "CAP_SYS_RESOURCE");

    @Test
    void doctorReportsEveryCheckWellFormedAndFailsOnlyWhenOneFails() throws Exception {
        Cli r = Cli.run("doctor", "--json");
        JsonNode checks = StateJson.mapper().readTree(r.out());
        Set<String> names = new HashSet<>();
        boolean anyFail = false;
        for (JsonNode c : checks) {
            String name = c.path("name").asText();
            assertTrue(names.add(name), "duplicate check " + name);
            String status = c.path("status").asText();
            assertTrue(Set.of("OK", "WARN", "FAIL").contains(status), c.toString());
            assertFalse(c.path("detail").asText().isBlank(), c.toString());
            assertEquals(!status.equals("OK"), c.hasNonNull("fix"), "a fix exactly for WARN and FAIL: " + c);
            anyFail |= status.equals("FAIL");
        }
        assertEquals(Set.copyOf(EXPECTED), names);
        assertEquals(anyFail ? 1 : 0, r.exitCode(), r.err());
        assertEquals("", r.err());
    }

    @Test
    void doctorTextHasOneStatusLinePerCheckAndAFixLineForEachGap() {
        Cli r = Cli.run("doctor");
        List<String> statusLines = r.out().lines().filter(l -> l.matches("(OK|WARN|FAIL) +\\S.*")).toList();
        long gaps = statusLines.stream().filter(l -> !l.startsWith("OK")).count();
        assertEquals(EXPECTED.size(), statusLines.size(), r.out());
        assertEquals(gaps, r.out().lines().filter(l -> l.strip().startsWith("fix: ")).count(), r.out());
    }

    @Test
    @Tag("privileged")
    void asRootTheKernelFeaturesAndToolsAreThereAndTheScratchNamespaceIsGone() throws Exception {
        Map<String, String> status = new HashMap<>();
        for (JsonNode c : StateJson.mapper().readTree(Cli.run("doctor", "--json").out())) {
            status.put(c.path("name").asText(), c.path("status").asText() + ": " + c.path("detail").asText());
        }
        for (String name : List.of("java", "network namespaces", "TCP_REPAIR", "pidfd_open/pidfd_getfd",
                "nftables", "criu", "criu check", "CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_SYS_PTRACE")) {
            assertTrue(status.get(name).startsWith("OK"), name + " -> " + status.get(name));
        }
        assertFalse(Files.exists(Path.of("/run/netns/baton-doctor-" + Cli.selfPid())));
    }
}
