package dev.baton.cli;

import dev.baton.demo.SocketHandoffDemo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code baton demo [--duration 10s]}: the socket hand-off demo in network namespaces on this machine. */
@Command(name = "demo", description = "Run the socket hand-off demo in network namespaces on this machine.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class,
            paramLabel = "DURATION", description = "How long the demo's traffic runs (default: ${DEFAULT-VALUE}).")
    private Duration duration;

    @Override
    public Integer call() {
        spec.commandLine().getOut().flush();
        return SocketHandoffDemo.run(System.out, duration);
    }
}
