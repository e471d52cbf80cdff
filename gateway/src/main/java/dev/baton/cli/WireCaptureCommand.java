package dev.baton.cli;

import dev.baton.netns.NetNamespace;
import dev.baton.socket.audit.WireCapture;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code baton wire capture --interface IF [--netns NAME|--pid PID] [--filter EXPR] --out FILE [--duration D]}:
 * records packet headers into a pcap file until the duration ends or the command is interrupted.
 */
@Command(name = "capture", description = "Record packet headers on an interface (inside a network namespace) to a pcap file.")
final class WireCaptureCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--interface", required = true, paramLabel = "IF", description = "The interface, e.g. eth0.")
    private String iface;

    @ArgGroup(exclusive = true)
    private Where where = new Where();

    static final class Where {
        @Option(names = "--netns", paramLabel = "NAME", description = "A namespace made with 'ip netns add'.")
        String netns;

        @Option(names = "--pid", paramLabel = "PID", description = "The network namespace of this process.")
        Integer pid;
    }

    @Option(names = "--filter", defaultValue = "tcp", paramLabel = "EXPR",
            description = "A tcpdump filter, e.g. 'tcp port 7000' (default: ${DEFAULT-VALUE}).")
    private String filter;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The pcap file to write.")
    private Path out;

    @Option(names = "--duration", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Stop after this long (default: until interrupted).")
    private Duration duration;

    @Override
    public Integer call() throws Exception {
        Privileges.requireRoot("wire capture", "it captures packets inside a network namespace");
        NetNamespace ns = where.pid != null ? NetNamespace.ofProcess(where.pid)
                : where.netns != null ? NetNamespace.named(where.netns) : NetNamespace.ofProcess(ProcessHandle.current().pid());
        PrintWriter err = spec.commandLine().getErr();
        CountDownLatch interrupted = new CountDownLatch(1);
        WireCapture capture = WireCapture.start(ns, iface, filter, out);
        Thread stopper = new Thread(() -> {
            interrupted.countDown();
            capture.close();
        });
        Runtime.getRuntime().addShutdownHook(stopper);
        err.printf("capturing '%s' on %s in %s into %s%s%n", filter, iface, ns.path(), out,
                duration == null ? " until interrupted (Ctrl-C)" : " for " + duration.toMillis() + " ms");
        err.flush();
        if (duration != null) interrupted.await(duration.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        else interrupted.await();
        capture.close();
        Runtime.getRuntime().removeShutdownHook(stopper);
        WireCapture.Stats stats = capture.stats();
        spec.commandLine().getOut().printf("%s: %d packets captured, %d dropped by the kernel%n", out,
                stats.captured(), stats.dropped());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
