package dev.baton.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatonUsageTest {
    @Test
    void noSubcommandIsAUsageError() {
        Cli r = Cli.run();
        assertEquals(2, r.exitCode());
        assertEquals("baton: Missing required subcommand", r.err().lines().findFirst().orElseThrow());
        assertTrue(r.err().contains("Try 'baton --help'"), r.err());
    }

    @Test
    void missingPidIsAUsageErrorNamingTheOption() {
        Cli r = Cli.run("sockets", "list");
        assertEquals(2, r.exitCode());
        assertEquals("baton: Missing required option: '--pid=PID'", r.err().lines().findFirst().orElseThrow());
    }

    @Test
    void unknownSubcommandIsAUsageErrorWithASuggestion() {
        Cli r = Cli.run("sockets", "lst", "--pid", "1");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("baton: Unmatched arguments"), r.err());
        assertTrue(r.err().contains("Did you mean: sockets list?"), r.err());
    }

    @Test
    void jsonAndTableTogetherAreAUsageError() {
        Cli r = Cli.run("sockets", "list", "--pid", "1", "--json", "--table");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("baton: Error: --json, --table are mutually exclusive"), r.err());
    }

    @Test
    void addressWithoutPortIsAUsageError() {
        Cli r = Cli.run("sockets", "repoint", "--pid", "1", "--fd", "3", "--to", "198.18.0.9");
        assertEquals(2, r.exitCode());
        assertEquals("baton: Invalid value for option '--to': not IP:PORT: 198.18.0.9 (expected IP:PORT, e.g. "
                + "198.18.0.2:80 or [2001:db8::2]:80)", r.err().lines().findFirst().orElseThrow());
    }

    @Test
    void badDurationIsAUsageError() {
        Cli r = Cli.run("demo", "--duration", "soon");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("\"soon\" is not a duration"), r.err());
    }

    @Test
    void anUnknownDemoActIsAUsageErrorNamingTheActs() {
        Cli r = Cli.run("demo", "--act", "sockets");
        assertEquals(2, r.exitCode());
        assertEquals("baton: Invalid value for option '--act': 'sockets' is not an act: use socket, process, gateway or all",
                r.err().lines().findFirst().orElseThrow());
    }

    @Test
    void durationConverterReadsShortAndIsoForms() {
        DurationConverter c = new DurationConverter();
        assertEquals(java.time.Duration.ofMillis(500), c.convert("500ms"));
        assertEquals(java.time.Duration.ofSeconds(10), c.convert("10s"));
        assertEquals(java.time.Duration.ofMinutes(2), c.convert("2m"));
        assertEquals(java.time.Duration.ofSeconds(3), c.convert("PT3S"));
    }

    @Test
    void listingAnUnknownProcessSaysNoSuchProcess() {
        Cli r = Cli.run("sockets", "list", "--pid", "999999999");
        assertEquals(1, r.exitCode());
        assertEquals("baton: no such process 999999999\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void repointingInAnUnknownProcessSaysNoSuchProcess() {
        Cli r = Cli.run("sockets", "repoint", "--pid", "999999999", "--fd", "3", "--to", "198.18.0.9:80");
        assertEquals(1, r.exitCode());
        assertEquals("baton: no such process 999999999\n", r.err());
    }

    @Test
    void verboseAfterTheSubcommandAddsTheCauseChain() {
        Cli r = Cli.run("sockets", "list", "--pid", "999999999", "--verbose");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().startsWith("baton: no such process 999999999\n  caused by: "), r.err());
        assertTrue(r.err().contains("ESRCH"), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void versionNamesBatonAndJava() {
        Cli r = Cli.run("--version");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().startsWith("baton 0."), r.out());
        assertTrue(r.out().contains("Java 25"), r.out());
    }

    @Test
    void subcommandHelpShowsItsOptions() {
        Cli r = Cli.run("sockets", "repoint", "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("--to=IP:PORT"), r.out());
        assertTrue(r.out().contains("--verbose"), r.out());
    }
}
