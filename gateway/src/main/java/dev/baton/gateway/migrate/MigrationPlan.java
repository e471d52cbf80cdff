package dev.baton.gateway.migrate;

import dev.baton.ckpt.agent.AgentClient;
import dev.baton.gateway.proxy.Service;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * What a migration will do, settled before anything is touched.
 *
 * @param workload the workload that moves
 * @param services the gateway's services in front of it (all on {@code from})
 * @param from     where it runs now
 * @param to       where it goes
 * @param source   a connection to {@code from}'s agent, which dumps and ships
 */
record MigrationPlan(String workload, List<Service> services, Host from, Host to, AgentClient source) {
    MigrationPlan {
        services = List.copyOf(services);
    }

    /**
     * A host of the gateway's config: its name, its agent, the address its workloads listen on, and the named network
     * namespace there they run in (null: the agent's own).
     */
    record Host(String name, InetSocketAddress agent, InetAddress address, String netns) {
    }
}
