package dev.baton.demo;

import java.io.PrintStream;
import java.time.Duration;

/** Placeholder: the real demo is written on main and replaces this file at merge. */
public final class SocketHandoffDemo {
    private SocketHandoffDemo() {}

    public static int run(PrintStream out, Duration duration) {
        out.println("demo not built yet");
        return 0;
    }
}
