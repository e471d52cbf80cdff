package dev.baton.cli;

import dev.baton.ckpt.agent.RestoreRequest;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/** The options of a restore ({@code agent restore}, {@code agent ship}), checked into a {@link RestoreRequest}. */
final class RestoreOptions {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    @Option(names = "--rewrite", paramLabel = "OLD=NEW", description = {
            "Rewrite the restored sockets' address OLD to NEW (IP literals of one family; repeatable)."})
    private Map<String, String> rewrite = new LinkedHashMap<>();

    @Option(names = "--netns", paramLabel = "NS", description = "Restore into this named network namespace on the "
            + "target (default: the agent's own).")
    private String netns;

    @Option(names = "--leave-stopped", description = "Leave the restored process tree stopped (SIGSTOP) for the "
            + "caller to resume.")
    private boolean leaveStopped;

    RestoreRequest request() {
        rewrite.forEach((from, to) -> {
            InetAddress a = literal(from);
            InetAddress b = literal(to);
            if (a instanceof Inet4Address != b instanceof Inet4Address) {
                throw new ParameterException(command.commandLine(), "--rewrite " + from + "=" + to
                        + ": both addresses must be IPv4 or both IPv6");
            }
        });
        return new RestoreRequest(rewrite, netns, leaveStopped);
    }

    private InetAddress literal(String ip) {
        try {
            return InetAddress.ofLiteral(ip);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(command.commandLine(), "--rewrite: '" + ip + "' is not an IP address");
        }
    }
}
