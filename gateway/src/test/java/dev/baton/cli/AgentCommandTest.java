package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.ckpt.agent.AgentServer;
import dev.baton.ckpt.agent.DumpReport;
import dev.baton.ckpt.agent.DumpRequest;
import dev.baton.ckpt.agent.HostHealth;
import dev.baton.ckpt.agent.HostService;
import dev.baton.ckpt.agent.Hooks;
import dev.baton.ckpt.agent.RestoreReport;
import dev.baton.ckpt.agent.RestoreRequest;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.WorkloadStatus;
import dev.baton.socket.StateJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code baton agent} commands against agents running in this JVM (and one in a child JVM), on loopback. */
class AgentCommandTest {
    @TempDir
    Path tmp;
    ClusterKeys keysA;
    Path callerKeys;
    final List<AgentServer> agents = new ArrayList<>();

    @BeforeEach
    void cluster() {
        keysA = ClusterKeys.init(tmp.resolve("a"), "a");
        callerKeys = tmp.resolve("gateway");
        ClusterKeys.issue(tmp.resolve("a"), "gateway", callerKeys);
    }

    @AfterEach
    void stopAgents() {
        agents.forEach(AgentServer::close);
    }

    private String agent(HostService host) throws IOException {
        AgentServer agent = AgentServer.start(new InetSocketAddress("127.0.0.1", 0), keysA, host);
        agents.add(agent);
        return StateJson.format(agent.address());
    }

    /** A healthy host with one workload; dump writes a few bytes and passes one hook. */
    private static class TestHost implements HostService {
        @Override
        public HostHealth health() {
            return new HostHealth("ignored", "4.2.1", "6.18.0-test", List.of());
        }

        @Override
        public List<WorkloadStatus> workloads() {
            Workload web = new Workload("web", 4242, 1, null, List.of("python3", "-m", "http.server"),
                    Path.of("/tmp/web.out"), Path.of("/tmp/web.err"), Instant.parse("2026-11-25T10:15:30Z"));
            return List.of(new WorkloadStatus(web, true, 2, List.of(new InetSocketAddress("0.0.0.0", 8000)), 1));
        }

        @Override
        public DumpReport dump(DumpRequest request, OutputStream bundle, Hooks hooks) throws IOException {
            try {
                hooks.reached("post-dump", 4242);
            } catch (Exception e) {
                throw new IOException(e);
            }
            bundle.write("sealed bundle bytes".getBytes(StandardCharsets.US_ASCII));
            hooks.progress("seal", 19, 19);
            return new DumpReport(request.workload(), 4242, "web-1", 19, Map.of("dump", 12.5));
        }

        @Override
        public void release(String dumpId) {
        }

        @Override
        public void commit(String dumpId) {
        }

        @Override
        public RestoreReport rollback(String dumpId, Hooks hooks) {
            return new RestoreReport("web", 4242, 0, Map.of("restore", 7.0));
        }

        @Override
        public RestoreReport restore(RestoreRequest request, InputStream bundle, Hooks hooks) throws IOException {
            long n = bundle.transferTo(OutputStream.nullOutputStream());
            return new RestoreReport("web", 5000 + n, request.rewrite().size(), Map.of("restore", 7.0));
        }
    }

    /** A host without CRIU: health says so, dumps are refused. */
    private static final class HostWithoutCriu extends TestHost {
        static final String PROBLEM = "CRIU does not start: criu not found";

        @Override
        public HostHealth health() {
            return new HostHealth("ignored", null, "6.18.0-test", List.of(PROBLEM));
        }

        @Override
        public DumpReport dump(DumpRequest request, OutputStream bundle, Hooks hooks) throws IOException {
            throw new IOException("dump of " + request.workload() + " refused: " + PROBLEM);
        }

        @Override
        public RestoreReport restore(RestoreRequest request, InputStream bundle, Hooks hooks) throws IOException {
            throw new IOException("restore refused: " + PROBLEM);
        }
    }

    @Test
    void agentHealthPrintsTheHostAsTheAgentReportsIt() throws Exception {
        String at = agent(new TestHost());

        Cli r = Cli.run("agent", "health", "--at", at, "--keys", callerKeys.toString());

        assertEquals(0, r.exitCode(), r.err());
        assertEquals("host      a at " + at + "\ncriu      4.2.1\nkernel    6.18.0-test\nstatus    healthy\n", r.out());
        assertEquals("", r.err());
    }

    @Test
    void agentHealthAsJsonAndWithProblemsExitsOne() throws Exception {
        String at = agent(new HostWithoutCriu());

        Cli r = Cli.run("agent", "health", "--at", at, "--keys", callerKeys.toString(), "--json");

        assertEquals(1, r.exitCode(), r.err());
        JsonNode health = StateJson.mapper().readTree(r.out());
        assertEquals("a", health.path("host").asText());
        assertFalse(health.path("healthy").asBoolean());
        assertEquals("[\"" + HostWithoutCriu.PROBLEM + "\"]", health.path("problems").toString(), r.out());
    }

    @Test
    void agentHealthWithoutKeysSaysHowToMakeThem() {
        Cli r = Cli.run("agent", "health", "--at", "127.0.0.1:7441", "--keys", tmp.resolve("none").toString());

        assertEquals(1, r.exitCode());
        assertTrue(r.err().startsWith("baton: cannot load this host's cluster keys: "), r.err());
        assertTrue(r.err().contains("'baton keys init'"), r.err());
    }

    @Test
    void agentPsListsTheRemoteWorkloads() throws Exception {
        String at = agent(new TestHost());

        Cli table = Cli.run("agent", "ps", "--at", at, "--keys", callerKeys.toString());
        Cli json = Cli.run("agent", "ps", "--at", at, "--keys", callerKeys.toString(), "--json");

        assertEquals(0, table.exitCode(), table.err());
        assertEquals("""
                NAME                      PID NETNS        STATE    PROCS LISTENING                CONNS  COMMAND
                web                      4242 -            running      2 0.0.0.0:8000                 1  python3 -m http.server
                """, table.out());
        assertEquals(0, json.exitCode(), json.err());
        assertEquals(StateJson.mapper().readTree("""
                [{"name": "web", "pid": 4242, "netns": null, "running": true, "processes": 2,
                  "listening": ["0.0.0.0:8000"], "established": 1, "command": ["python3", "-m", "http.server"],
                  "started": "2026-11-25T10:15:30Z"}]
                """), StateJson.mapper().readTree(json.out()), json.out());
    }

    @Test
    void agentDumpWritesTheBundleAndPrintsHooksAndProgressLive() throws Exception {
        String at = agent(new TestHost());
        Path out = tmp.resolve("web.bundle");

        Cli r = Cli.run("agent", "dump", "--at", at, "--name", "web", "--out", out.toString(),
                "--keys", callerKeys.toString());

        assertEquals(0, r.exitCode(), r.err());
        assertEquals("sealed bundle bytes", Files.readString(out));
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).matches("\\+\\d+\\.\\d{3}s a  post-dump \\(pid 4242\\)"), r.out());
        assertTrue(lines.get(1).matches("\\+\\d+\\.\\d{3}s a  seal 0\\.0 MiB of 0\\.0 MiB"), r.out());
        assertEquals("dumped web (pid 4242) into " + out + ": 0.0 MiB; dump 12.5 ms", lines.get(2));
    }

    @Test
    void aRefusedDumpLeavesNoFileAndSaysWhy() throws Exception {
        String at = agent(new HostWithoutCriu());
        Path out = tmp.resolve("web.bundle");

        Cli r = Cli.run("agent", "dump", "--at", at, "--name", "web", "--out", out.toString(),
                "--keys", callerKeys.toString());

        assertEquals(1, r.exitCode());
        assertEquals("baton: dump failed on a: dump of web refused: " + HostWithoutCriu.PROBLEM + "\n", r.err());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(tmp.resolve("web.bundle.partial")));
    }

    @Test
    void agentRestoreSendsTheFileAndReportsTheRestoredProcess() throws Exception {
        String at = agent(new TestHost());
        Path in = Files.writeString(tmp.resolve("web.bundle"), "0123456789");

        Cli r = Cli.run("agent", "restore", "--at", at, "--in", in.toString(), "--rewrite", "198.18.0.2=198.18.0.3",
                "--keys", callerKeys.toString());

        assertEquals(0, r.exitCode(), r.err());
        assertEquals("restored web on " + at + " as pid 5010 (1 socket(s) rewritten); restore 7.0 ms\n", r.out());
    }

    @Test
    void aRefusedRestoreSaysWhereAndWhy() throws Exception {
        String at = agent(new HostWithoutCriu());
        Path in = Files.writeString(tmp.resolve("web.bundle"), "0123456789");

        Cli r = Cli.run("agent", "restore", "--at", at, "--in", in.toString(), "--keys", callerKeys.toString());

        assertEquals(1, r.exitCode());
        assertEquals("baton: restore failed on a: restore refused: " + HostWithoutCriu.PROBLEM + "\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void agentRestoreOfAMissingFileSaysSo() throws Exception {
        String at = agent(new TestHost());
        Path in = tmp.resolve("missing.bundle");

        Cli r = Cli.run("agent", "restore", "--at", at, "--in", in.toString(), "--keys", callerKeys.toString());

        assertEquals(1, r.exitCode());
        assertEquals("baton: no bundle file " + in + "\n", r.err());
    }

    @Test
    void aRewriteBetweenAddressFamiliesIsAUsageError() {
        Cli r = Cli.run("agent", "restore", "--at", "127.0.0.1:7441", "--in", "x", "--rewrite", "198.18.0.2=::1");

        assertEquals(2, r.exitCode());
        assertEquals("baton: --rewrite 198.18.0.2=::1: both addresses must be IPv4 or both IPv6",
                r.err().lines().findFirst().orElseThrow());
    }

    @Test
    void agentShipReportsBothHostsAndTheBytesMoved() throws Exception {
        String from = agent(new TestHost());
        ClusterKeys keysB = ClusterKeys.issue(tmp.resolve("a"), "b", tmp.resolve("b"));
        AgentServer b = AgentServer.start(new InetSocketAddress("127.0.0.1", 0), keysB, new TestHost());
        agents.add(b);

        Cli r = Cli.run("agent", "ship", "--from", from, "--name", "web", "--to", StateJson.format(b.address()),
                "--keys", callerKeys.toString());

        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains(" a  post-dump (pid 4242)\n"), r.out());
        assertTrue(r.out().contains("shipped web from a to b: 0.0 MiB, restored as pid 5019 (0 socket(s) rewritten)\n"),
                r.out());
        assertTrue(r.out().matches("(?s).*\n  connect \\d+\\.\\d ms, dump \\d+\\.\\d ms, restore \\d+\\.\\d ms, "
                + "total \\d+\\.\\d ms\n"), r.out());
    }

    @Test
    void anAgentThatIsNotRunningIsReportedAsConnectionRefused() throws Exception {
        String at;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            at = "127.0.0.1:" + s.getLocalPort();
        }

        Cli r = Cli.run("agent", "health", "--at", at, "--keys", callerKeys.toString());

        assertEquals(1, r.exitCode());
        assertEquals("baton: agent at " + at + ": connection refused (is 'baton agent' listening there?)\n", r.err());
    }

    @Test
    void batonAgentServesUntilSigtermAndSaysWhereAndWhoItIs() throws Exception {
        // A child JVM: the agent runs until a signal, which only a process of its own can receive.
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Baton.class.getName(), "agent", "--listen", "127.0.0.1:0", "--keys", keysA.dir().toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertTrue(first != null && first.matches("agent a listening on 127\\.0\\.0\\.1:\\d+"), first);
            assertEquals("identity " + ClusterKeys.fingerprint(keysA.hostCertificate()) + ", cluster CA "
                    + ClusterKeys.fingerprint(keysA.caCertificate()), out.readLine());
            assertEquals("loopback only: other hosts cannot reach it (give --listen ADDR to serve them)", out.readLine());
            String at = first.substring(first.lastIndexOf(' ') + 1);

            Cli r = Cli.run("agent", "health", "--at", at, "--keys", callerKeys.toString());
            assertTrue(r.out().startsWith("host      a at " + at + "\n"), r.out() + r.err());

            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "agent still running 20 s after SIGTERM");
            assertEquals(143, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }
}
