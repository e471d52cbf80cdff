package dev.baton.e2e;

import dev.baton.demo.HandoffScenario;
import dev.baton.peer.SocketHandoff;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The move the end-to-end tests make: half a second of streaming, a → b, half a second, b → a, half a second. */
final class Moves {
    private Moves() {}

    static void thereAndBack(HandoffScenario s) throws Exception {
        Thread.sleep(500);
        SocketHandoff.Result there = s.handoff();
        System.out.println("a -> b: " + there);
        assertEquals(s.serviceAddress("b"), there.to());
        Thread.sleep(500);
        SocketHandoff.Result back = s.handoff();
        System.out.println("b -> a: " + back);
        assertEquals(s.serviceAddress("a"), back.to());
        Thread.sleep(500);
    }
}
