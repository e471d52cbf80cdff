package dev.baton.ckpt;

import java.util.LinkedHashMap;
import java.util.Map;

/** Wall time of each named phase of an operation, in the order they ran. Not thread-safe: one per operation. */
final class Phases {
    private final Map<String, Double> ms = new LinkedHashMap<>();
    private String current;
    private long startNanos;

    /** Ends the running phase, if any, and starts {@code name}. */
    void start(String name) {
        end();
        current = name;
        startNanos = System.nanoTime();
    }

    void end() {
        if (current != null) ms.merge(current, (System.nanoTime() - startNanos) / 1e6, Double::sum);
        current = null;
    }

    Map<String, Double> millis() {
        end();
        return ms;
    }
}
