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

    @Option(names = "--moves", defaultValue = "4", paramLabel = "N",
            description = "How many times the connection moves between the two hosts (default: ${DEFAULT-VALUE}).")
    private int moves;

    @Override
    public Integer call() throws Exception {
        Privileges.requireRoot("demo", "it makes network namespaces and moves connections with TCP_REPAIR");
        if (moves < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--moves must be at least 1");
        return SocketHandoffDemo.run(spec.commandLine().getOut(), duration, moves);
    }
}
