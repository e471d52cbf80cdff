package dev.baton.bench;

import dev.baton.bench.MigrationGapBench.LaneResult;
import dev.baton.bench.MigrationGapBench.Round;
import dev.baton.gateway.migrate.MigrationView.Event;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The migration benchmark measures what it says, in both lanes, and leaves nothing behind. */
class MigrationGapBenchTest {

    @Test
    @Tag("privileged")
    void oneRoundOfEachCaseAndLaneGivesAGapPerMoveAndPhasesAndLeavesNoLabBehind() throws Exception {
        List<String> before = benchDirs();
        List<LaneResult> results = MigrationGapBench.measure("1", "--connections", "20");

        assertEquals(List.of("1 connection/Baton gateway", "1 connection/plain CRIU, same IP moved",
                        "20 connections/Baton gateway", "20 connections/plain CRIU, same IP moved"),
                results.stream().map(r -> r.caseName() + "/" + r.lane()).toList());
        for (LaneResult r : results) {
            assertEquals(1, r.rounds().size(), r.toString());
            Round move = r.rounds().getFirst();
            assertEquals("b", move.from(), "the warm-up went a -> b, the measured move comes back");
            assertEquals("a", move.to());
            assertTrue(move.down().clean(), move.down().detail());
            // A move silences every peer at least while the workload is dumped; a window without one far less.
            assertTrue(move.down().worstMs() >= move.down().medianMs() && move.down().medianMs() > 5, r.toString());
            assertTrue(move.up().maxMs() > 5 && move.up().connections() == (r.caseName().startsWith("1 ") ? 1 : 20),
                    r.toString());
            assertTrue(r.idleDown().worstMs() < move.down().worstMs(), r.toString());
            assertTrue(move.move().holdMs() > 0, r.toString());
        }
        assertTrue(results.get(0).rounds().getFirst().move().phasesMs().keySet().containsAll(
                List.of("freeze", "dump", "ship", "thaw", "dump.criu", "ship.criu")), results.get(0).toString());
        assertEquals(List.of("hold", "dump", "add-ip", "restore", "route", "cleanup"),
                List.copyOf(results.get(1).rounds().getFirst().move().phasesMs().keySet()));
        assertEquals(before, benchDirs(), "the work directory is gone");
        assertTrue(Files.list(Path.of("/run/netns")).map(p -> p.getFileName().toString())
                .noneMatch(n -> n.startsWith("baton" + ProcessHandle.current().pid() + "-")), "no namespace of ours left");
    }

    @Test
    void theDumpAndShipPhasesAreSplitAtCriusHooks() {
        List<Event> events = List.of(new Event(1, "freeze", "holding echo's flows"),
                new Event(2, "dump", "agent a checkpoints echo"), new Event(110, "dump", "a: pre-dump (pid 7)"),
                new Event(135, "dump", "a: post-dump (pid 7)"), new Event(140, "dump", "dumped 1 connections in 28 ms"),
                new Event(141, "re-point", "re-pointing 1 upstream sockets at b"),
                new Event(142, "ship", "agent a seals the dump into agent b's restore"),
                new Event(400, "ship", "b: pre-restore"), new Event(425, "ship", "b: post-resume"),
                new Event(430, "ship", "restored on b as pid 9 (10 bundle bytes)"));

        assertEquals(Map.of("dump.to-criu", 108.0, "dump.criu", 25.0, "dump.after", 5.0, "ship.to-criu", 258.0,
                "ship.criu", 25.0, "ship.after", 5.0), MigrationGapBenchGateway.insidePhases(events));
        assertEquals(Map.of(), MigrationGapBenchGateway.insidePhases(events.subList(0, 5)), "no split without the ship");
    }

    private static List<String> benchDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("baton-migration-bench-")).sorted()
                    .toList();
        }
    }
}
