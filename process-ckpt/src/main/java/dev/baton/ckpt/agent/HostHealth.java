package dev.baton.ckpt.agent;

import java.util.List;

/**
 * An agent's host, as it sees itself.
 *
 * @param host     its name (the CN of its certificate)
 * @param criu     CRIU's version, or null when CRIU is missing
 * @param kernel   kernel release
 * @param problems what would make a checkpoint or restore fail here (empty when healthy)
 */
public record HostHealth(String host, String criu, String kernel, List<String> problems) {
    public HostHealth {
        problems = List.copyOf(problems);
    }

    public boolean healthy() {
        return problems.isEmpty();
    }
}
