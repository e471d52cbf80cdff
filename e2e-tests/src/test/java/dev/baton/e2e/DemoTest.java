package dev.baton.e2e;

import dev.baton.cli.Baton;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static org.junit.jupiter.api.Assertions.*;

/** The README's first command, {@code baton demo}, works and tells the truth about what it did. */
@Tag("privileged")
class DemoTest {
    @Test
    void theDemoMovesTheConnectionAndReportsAVerifiedStreamAndACleanWire() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int code;
        System.setOut(new PrintStream(buf, true));
        try {
            code = Baton.commandLine().execute("demo", "--duration", "2s", "--moves", "2");
        } finally {
            System.setOut(original);
        }
        String out = buf.toString();
        System.out.print(out);
        assertEquals(0, code, out);
        assertTrue(out.contains("move 2: b -> a"), out);
        assertTrue(out.contains("all verified"), out);
        assertTrue(out.contains("on the wire at the peer: 0 RST;"), out);
        assertTrue(out.contains("OK: the connection survived every move"), out);
    }
}
