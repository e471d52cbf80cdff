package dev.baton.e2e;

import dev.baton.ckpt.BatonHome;
import dev.baton.cli.Cli;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The README's first command, {@code baton demo}, works and tells the truth about what it did. */
@Tag("privileged")
class DemoTest {
    private static final Pattern STATE_DIR = Pattern.compile("Images, bundles and keys: (\\S+) \\(deleted after\\)");
    private static final Pattern TICKS = Pattern.compile("last tick on (\\w+) (\\d+), first on (\\w+) (\\d+)");
    private static final Pattern COUNTED = Pattern.compile(
            "peer -> EchoCounter: ([\\d,]+) bytes sent, ([\\d,]+) counted by EchoCounter in its memory");
    private static final Pattern ECHOED = Pattern.compile("EchoCounter -> peer: ([\\d,]+) bytes echoed back, all verified");
    /** Act 1's two directions: what one end sent, what the other received. */
    private static final Pattern STREAMED = Pattern.compile(
            "(peer -> workload|workload -> peer): ([\\d,]+) bytes sent, ([\\d,]+) received, all verified");
    /** A move's steps, in the order they run. */
    private static final List<String> STEPS = List.of("hold", "dump", "snapshot", "reconcile", "seal", "aim",
            "restore", "resume");

    @TempDir
    Path tmp;

    @Test
    void theDemoMovesAConnectionThenAWholeProcessThenAServerBehindTheGatewayAllVerifiedWithACleanWire() {
        Cli r = Cli.run("demo", "--duration", "2s", "--moves", "2");
        System.out.print(r.out());
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().startsWith("Act 1: a socket moves."), r.out());
        int act2 = r.out().indexOf("Act 2: a whole process moves.");
        assertTrue(act2 > 0, "act 2 follows act 1: " + r.out());

        String socket = r.out().substring(0, act2);
        assertTrue(socket.contains("move 2: b -> a"), socket);
        Matcher streamed = STREAMED.matcher(socket);
        for (String direction : List.of("peer -> workload", "workload -> peer")) {
            assertTrue(streamed.find(), "both directions are verified: " + socket);
            assertEquals(direction, streamed.group(1));
            assertEquals(streamed.group(2), streamed.group(3), "every byte sent " + direction + " arrived");
        }
        assertTrue(socket.contains("on the wire at the peer: 0 RST;"), socket);
        assertTrue(socket.contains("OK: the connection survived every move"), socket);

        int act3 = r.out().indexOf("Act 3: the mission.");
        assertTrue(act3 > act2, "act 3 follows act 2: " + r.out());
        assertWholeProcessMoved(r.out().substring(act2, act3));

        String gateway = r.out().substring(act3);
        assertTrue(gateway.contains("migration m1 SUCCEEDED") && gateway.contains("migration m2 SUCCEEDED"), gateway);
        assertTrue(gateway.matches("(?s).*socat: ([0-9,]+) bytes sent, \\1 echoed back, all verified.*"), gateway);
        assertTrue(gateway.contains("on the wire at the gateway (both sides, every migration): 0 RST or lost bytes"),
                gateway);
        assertTrue(gateway.contains("OK: the clients kept their connections through every move"), gateway);
    }

    /** {@code --act process} runs act 2 alone, and writes nothing under BATON_HOME: its keys and state are its own. */
    @Test
    void actTwoAloneMovesTheProcessAndLeavesNoNamespaceDirectoryOrStateBehind() throws IOException {
        Path batonHome = tmp.resolve("baton-home");
        System.setProperty(BatonHome.PROPERTY, batonHome.toString());
        Cli r;
        try {
            r = Cli.run("demo", "--act", "process", "--duration", "1s");
        } finally {
            System.clearProperty(BatonHome.PROPERTY);
        }
        System.out.print(r.out());
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().startsWith("Act 2: a whole process moves."), "act 2 only: " + r.out());
        assertFalse(r.out().contains("Act 1"), r.out());
        assertWholeProcessMoved(r.out());

        assertFalse(Files.exists(batonHome), "nothing was written under BATON_HOME");
        Matcher dir = STATE_DIR.matcher(r.out());
        assertTrue(dir.find(), "the demo names its state directory: " + r.out());
        assertFalse(Files.exists(Path.of(dir.group(1))), "the demo's state directory " + dir.group(1) + " is gone");
        assertEquals(List.of(), ourNamespaces(), "the demo's network namespaces are gone");
    }

    private static void assertWholeProcessMoved(String act) {
        assertTrue(act.contains("move 1: a -> b  peer frozen "), act);
        assertTrue(act.contains("move 2: b -> a  peer frozen "), act);
        int moves = 0;
        for (String move : act.split("  move \\d: ")) {
            if (!move.startsWith("a -> b") && !move.startsWith("b -> a")) continue;
            moves++;
            int at = move.indexOf("steps (ms): ");
            assertTrue(at > 0, "each move shows its steps: " + move);
            for (String step : STEPS) {
                int next = move.indexOf(" " + step + " ", at);
                assertTrue(next > at, "the move's steps are timed in order, " + step + " after the ones before: " + move);
                at = next;
            }
        }
        assertEquals(2, moves, act);
        assertTrue(act.contains(" MiB, encrypted and signed"), "the bundle's size is shown: " + act);
        assertTrue(act.contains("EchoCounter runs on b now (pid "), act);
        assertTrue(act.contains("EchoCounter runs on a now (pid "), act);

        Matcher ticks = TICKS.matcher(act);
        for (String[] move : new String[][]{{"a", "b"}, {"b", "a"}}) {
            assertTrue(ticks.find(), "each move reports its ticks: " + act);
            assertEquals(move[0], ticks.group(1));
            assertEquals(move[1], ticks.group(3));
            assertEquals(Long.parseLong(ticks.group(2)) + 1, Long.parseLong(ticks.group(4)),
                    "the counter in memory went on from where it was: " + ticks.group());
        }
        assertEquals(2, count(act, "the peer kept its socket (fd "), act);

        Matcher counted = COUNTED.matcher(act);
        assertTrue(counted.find(), act);
        assertEquals(counted.group(1), counted.group(2), "EchoCounter counted every byte the peer sent, once");
        Matcher echoed = ECHOED.matcher(act);
        assertTrue(echoed.find(), act);
        assertEquals(counted.group(1), echoed.group(1), "every byte the peer sent came back to it, verified");
        assertTrue(act.contains("without a restart: it started once"), act);
        assertTrue(act.contains("on the wire at the peer: 0 RST;"), act);
        assertTrue(act.contains("OK: the process moved a -> b -> a with its memory and its connection"), act);
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) n++;
        return n;
    }

    /** Network namespaces made by this JVM's labs (named baton{@literal <pid>}-N-host). */
    private static List<String> ourNamespaces() throws IOException {
        Path run = Path.of("/run/netns");
        if (!Files.exists(run)) return List.of();
        try (Stream<Path> s = Files.list(run)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("baton" + Cli.selfPid() + "-"))
                    .toList();
        }
    }
}
