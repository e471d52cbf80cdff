package dev.baton.e2e;

import dev.baton.demo.GatewayLab;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;

import java.util.function.Supplier;

/** Prints the gateway lab's {@link GatewayLab#diagnostics()} when a test fails. */
final class LabDiagnostics {
    private LabDiagnostics() {
    }

    /**
     * Right after the test method (before {@code @AfterEach} closes the lab): {@code @RegisterExtension} it with
     * the test's lab.
     */
    static AfterTestExecutionCallback printOnFailure(Supplier<GatewayLab> stage) {
        return context -> {
            GatewayLab s = stage.get();
            if (s != null && context.getExecutionException().isPresent()) {
                System.out.println("=== " + context.getDisplayName() + " failed\n" + s.diagnostics());
            }
        };
    }
}
