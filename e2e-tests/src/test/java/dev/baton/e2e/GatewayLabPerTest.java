package dev.baton.e2e;

import dev.baton.demo.GatewayLab;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A fresh {@link GatewayLab} for each test of a class that registers this ({@code @RegisterExtension}): made in a
 * new temporary home before the test, its {@link GatewayLab#diagnostics()} printed right after a failed test
 * (while it still runs), closed and its home deleted afterwards, also when the test failed.
 */
final class GatewayLabPerTest implements BeforeEachCallback, AfterTestExecutionCallback, AfterEachCallback {
    private Path home;
    private GatewayLab lab;

    /** The lab of the running test. */
    GatewayLab lab() {
        if (lab == null) throw new IllegalStateException("no gateway lab outside a test");
        return lab;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        home = Files.createTempDirectory("baton-gateway-test-");
        lab = GatewayLab.create(home);
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        if (lab != null && context.getExecutionException().isPresent()) {
            System.out.println("=== " + context.getDisplayName() + " failed\n" + lab.diagnostics());
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        try {
            if (lab != null) lab.close();
        } finally {
            lab = null;
            delete(home);
        }
    }

    private static void delete(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
