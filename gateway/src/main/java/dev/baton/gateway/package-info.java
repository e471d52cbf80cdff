/**
 * The gateway: an L4 (TCP) proxy in front of the peers, configured by {@link dev.baton.gateway.GatewayConfig}
 * (a JSON file) and run through the {@link dev.baton.gateway.Gateway} facade. Peers connect to a service's
 * listen address; the gateway connects each of them on to the workload's current host. The data path and the
 * per-flow migration operations are in {@link dev.baton.gateway.proxy}.
 */
package dev.baton.gateway;
