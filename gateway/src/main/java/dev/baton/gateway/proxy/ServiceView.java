package dev.baton.gateway.proxy;

import dev.baton.socket.StateJson;

/** A service as the admin API shows it. */
public record ServiceView(String name, String listen, String workload, String host, String target, int flows,
                          boolean newFlowsPaused) {
    public static ServiceView of(Service s) {
        return new ServiceView(s.name(), StateJson.format(s.listen()), s.workload(), s.host(),
                StateJson.format(s.target()), s.flows().size(), s.newFlowsPaused());
    }
}
