package dev.baton.cli;

import dev.baton.ckpt.Checkpointer;
import dev.baton.ckpt.agent.AgentServer;
import dev.baton.ckpt.agent.HostService;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.socket.StateJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/**
 * {@code baton agent [--listen ADDR] [--keys DIR]}: runs this host's agent until SIGTERM; its subcommands call an
 * agent. The host service it carries comes from a factory (the seam where the checkpoint service is wired).
 */
@Command(name = "agent", description = {
        "Run this host's agent: it checkpoints and restores on request of the cluster's other hosts, over",
        "mutually authenticated TLS 1.3 (certificates from 'baton keys'). Runs until SIGTERM.",
        "Listens on loopback unless --listen gives another address. Subcommands call an agent."},
        subcommands = {AgentHealthCommand.class, AgentPsCommand.class, AgentDumpCommand.class,
                AgentRestoreCommand.class, AgentShipCommand.class})
final class AgentCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--listen", paramLabel = "ADDR", converter = AddressConverter.class,
            description = "Address to listen on (default: 127.0.0.1:7441, loopback only).")
    private InetSocketAddress listen = AgentServer.DEFAULT_LISTEN;

    @Option(names = "--keys", paramLabel = "DIR", description = HostKeys.HELP)
    private Path keysDir;

    @Option(names = "--hook-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long an operation waits for its caller at a hook before it aborts (default: 30s).")
    private Duration hookTimeout = AgentServer.Options.DEFAULT_HOOK_TIMEOUT;

    @Option(names = "--settle-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long a checkpointed dump waits to be shipped or settled before it is restored here "
                    + "(default: 30s).")
    private Duration settleTimeout = AgentServer.Options.DEFAULT_SETTLE_TIMEOUT;

    private final Function<ClusterKeys, HostService> hostServices;

    AgentCommand() {
        this(Checkpointer::standard);
    }

    /** @param hostServices makes the service the agent carries, for the host of the given keys */
    AgentCommand(Function<ClusterKeys, HostService> hostServices) {
        this.hostServices = hostServices;
    }

    @Override
    public Integer call() throws Exception {
        ClusterKeys keys = HostKeys.load(keysDir);
        AgentServer server = AgentServer.start(listen, keys, hostServices.apply(keys),
                AgentServer.Options.defaults().withHookTimeout(hookTimeout).withSettleTimeout(settleTimeout));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("agent shutdown").unstarted(() -> {
            server.close();
            stopped.countDown();
        }));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("agent %s listening on %s%n", server.host(), StateJson.format(server.address()));
        out.printf("identity %s, cluster CA %s%n", ClusterKeys.fingerprint(keys.hostCertificate()),
                ClusterKeys.fingerprint(keys.caCertificate()));
        if (server.address().getAddress().isLoopbackAddress()) {
            out.println("loopback only: other hosts cannot reach it (give --listen ADDR to serve them)");
        }
        out.flush();
        stopped.await();
        return 0;
    }
}
