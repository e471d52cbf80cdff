package dev.baton.cli;

import dev.baton.demo.GatewayMigrationDemo;
import dev.baton.demo.ProcessMigrationDemo;
import dev.baton.demo.SocketHandoffDemo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code baton demo [--act socket|process|gateway|all] [--duration 10s] [--moves 4]}: the live migration demo in
 * network namespaces on this machine. Act 1 moves a connection's socket between hosts; act 2 moves a whole process
 * with CRIU, a → b → a; act 3 moves a server behind the gateway with {@code baton migrate}, its clients unmodified.
 * Exit 0 only when every act was clean.
 */
@Command(name = "demo", description = {"Run the live migration demo in network namespaces on this machine:",
        "act 1 moves a live connection's socket between hosts with different IPs,",
        "act 2 moves a whole process (a JVM with state in memory) with its connection, a -> b -> a, with CRIU,",
        "act 3 moves a server behind Baton's gateway with 'baton migrate', its clients (socat among them) untouched."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--act", defaultValue = "all", paramLabel = "socket|process|gateway|all",
            converter = Act.Converter.class, description = "Which act to run: socket (act 1), process (act 2), gateway"
            + " (act 3) or all (default: ${DEFAULT-VALUE}).")
    private Act act;

    @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class,
            paramLabel = "DURATION", description = "How long each act's traffic runs (default: ${DEFAULT-VALUE}).")
    private Duration duration;

    @Option(names = "--moves", defaultValue = "4", paramLabel = "N",
            description = "How many times act 1 moves the connection between the two hosts (default: ${DEFAULT-VALUE});"
                    + " act 2 moves the process twice, a -> b -> a.")
    private int moves;

    enum Act {
        SOCKET, PROCESS, GATEWAY, ALL;

        boolean includes(Act one) {
            return this == ALL || this == one;
        }

        static final class Converter implements CommandLine.ITypeConverter<Act> {
            @Override
            public Act convert(String value) {
                try {
                    return valueOf(value.toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.TypeConversionException("'" + value + "' is not an act: use socket, process,"
                            + " gateway or all");
                }
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        Privileges.requireRoot("demo", "it makes network namespaces and moves connections with TCP_REPAIR");
        if (moves < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--moves must be at least 1");
        if (act.includes(Act.PROCESS) || act.includes(Act.GATEWAY)) requireCriu();
        PrintWriter out = spec.commandLine().getOut();
        boolean clean = true;
        if (act.includes(Act.SOCKET)) clean = SocketHandoffDemo.run(out, duration, moves) == 0;
        if (act == Act.ALL) out.println();
        if (act.includes(Act.PROCESS)) clean &= ProcessMigrationDemo.run(out, duration) == 0;
        if (act == Act.ALL) out.println();
        if (act.includes(Act.GATEWAY)) clean &= GatewayMigrationDemo.run(out, duration) == 0;
        return clean ? 0 : 1;
    }

    /** Acts 2 and 3 need CRIU >= 4.2: said before anything runs, with the fix, as {@code baton doctor} says it. */
    private static void requireCriu() {
        Check criu = new Checks(null).criu(); // the CRIU check needs no scratch namespace
        if (criu.status() == Check.Status.FAIL) {
            throw new CommandFailure("demo acts 2 and 3 need CRIU >= 4.2: " + criu.detail() + "; "
                    + criu.fix());
        }
    }
}
