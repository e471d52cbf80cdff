package dev.baton.e2e;

import dev.baton.ckpt.workload.Workload;
import dev.baton.ckpt.workload.Workloads;
import dev.baton.demo.GatewayLab;
import dev.baton.gateway.migrate.MigrationView;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.StateJson;
import dev.baton.socket.TcpState;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Stock programs on both ends: Python's {@code http.server}, which closes each connection after its answer, moves
 * a → b → a behind the gateway while {@code curl} clients open a new connection every few milliseconds and a slow
 * download spans the moves. Some flows end while they are being frozen, and some have lost their workload end
 * already (closed by the server, the kernel finishing it): neither may fail the migration, and no client may see
 * an error.
 */
@Tag("privileged")
class GatewayStockServerTest {
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    /** Fetches URL until STOP exists, checking each answer's SHA-256; prints "ok=N bad=M". */
    private static final String CLIENT_LOOP = """
            url=$1; want=$2; stop=$3; ok=0; bad=0
            while [ ! -e "$stop" ]; do
              got=$(curl -s --max-time 10 "$url" | sha256sum | cut -d' ' -f1)
              if [ "$got" = "$want" ]; then ok=$((ok+1)); else bad=$((bad+1)); fi
            done
            echo "ok=$ok bad=$bad"
            """;

    @RegisterExtension
    final GatewayLabPerTest labs = new GatewayLabPerTest();

    @Test
    void aStockHttpServerMovesABAWhileCurlClientsKeepConnectingAndNoneSeesAnError() throws Exception {
        GatewayLab stage = labs.lab();
        Path www = Files.createDirectories(stage.home.resolve("www"));
        byte[] page = random(200_000, 1);
        byte[] big = random(3_000_000, 2);
        Files.write(www.resolve("page"), page);
        Files.write(www.resolve("big"), big);
        Workload server = stage.startWorkload(List.of(PYTHON, "-m", "http.server", "--bind", "0.0.0.0",
                "--directory", www.toString(), Integer.toString(GatewayLab.PORT)));
        awaitListening(server);
        stage.startGateway();
        String url = "http://" + StateJson.format(stage.service()) + "/";

        Path script = Files.writeString(stage.home.resolve("client-loop.sh"), CLIENT_LOOP);
        Path stop = stage.home.resolve("stop");
        List<Process> clients = new ArrayList<>();
        List<Path> outputs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path out = stage.home.resolve("client-" + i + ".out");
            outputs.add(out);
            clients.add(new ProcessBuilder(stage.lab.host("peer").command("bash", script.toString(), url + "page",
                    sha256(page), stop.toString())).redirectErrorStream(true).redirectOutput(out.toFile()).start());
        }
        Path downloaded = stage.home.resolve("big.out");
        Process slow = new ProcessBuilder(stage.lab.host("peer").command("curl", "-s", "--limit-rate", "300k",
                "-o", downloaded.toString(), url + "big")).redirectErrorStream(true).start();
        try {
            Thread.sleep(1000);
            for (String to : List.of("b", "a")) {
                GatewayLab.Migrated m = stage.migrate(to);
                System.out.printf("-> %s: %s%n", to, m.view() == null ? m.err() : m.view().result());
                if (m.view() != null) {
                    m.view().events().forEach(e -> System.out.printf("   %8.1f %-9s %s%n", e.atMs(), e.phase(), e.message()));
                }
                assertEquals(0, m.exitCode(), m.err() + " " + m.view());
                assertEquals(MigrationView.Status.SUCCEEDED, m.view().status());
                assertEquals(0, m.view().result().audit().rst(), "no RST on the gateway's wire: " + m.view().result());
                assertEquals(0, m.view().result().audit().holes(), "no byte lost on it: " + m.view().result());
                Thread.sleep(1000);
            }
        } finally {
            Files.writeString(stop, "");
            for (Process c : clients) {
                if (!c.waitFor(30, TimeUnit.SECONDS)) c.destroyForcibly();
            }
            if (!slow.waitFor(30, TimeUnit.SECONDS)) slow.destroyForcibly();
        }
        for (Path out : outputs) {
            String result = Files.readString(out, StandardCharsets.UTF_8).strip();
            System.out.println("curl loop: " + result);
            assertTrue(result.matches("ok=\\d+ bad=0"), result);
            assertTrue(Integer.parseInt(result.replaceAll("ok=(\\d+).*", "$1")) > 20, "it kept fetching: " + result);
        }
        assertEquals(0, slow.exitValue(), "the slow download ended well");
        assertEquals(sha256(big), sha256(Files.readAllBytes(downloaded)), "the slow download is whole");
        assertTrue(Workloads.isRunning(stage.workload("a")), "the server runs on a again");
        assertEquals(List.of(), stage.leftovers());
    }

    /** http.server says nothing we could wait for on its output: watch its sockets. */
    private static void awaitListening(Workload w) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (ProcessSockets p = ProcessSockets.open((int) w.rootPid())) {
            while (p.list().stream().noneMatch(e -> e.state() == TcpState.LISTEN
                    && e.local().getPort() == GatewayLab.PORT)) {
                assertTrue(System.nanoTime() < deadline, "http.server did not listen on " + GatewayLab.PORT);
                Thread.sleep(50);
            }
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
