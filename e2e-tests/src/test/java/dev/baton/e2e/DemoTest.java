package dev.baton.e2e;

import dev.baton.cli.Cli;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The README's first command, {@code baton demo}, works and tells the truth about what it did. */
@Tag("privileged")
class DemoTest {
    @Test
    void theDemoMovesTheConnectionAndReportsAVerifiedStreamAndACleanWire() {
        Cli r = Cli.run("demo", "--duration", "2s", "--moves", "2");
        System.out.print(r.out());
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("move 2: b -> a"), r.out());
        assertTrue(r.out().contains("all verified"), r.out());
        assertTrue(r.out().contains("on the wire at the peer: 0 RST;"), r.out());
        assertTrue(r.out().contains("OK: the connection survived every move"), r.out());
    }
}
