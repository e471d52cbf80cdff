/**
 * The cluster's keys and TLS: {@link dev.baton.ckpt.keys.ClusterKeys} (the CA, this host's identity, the bundle
 * secret, and the TLS 1.3 context every host speaks), {@link dev.baton.ckpt.keys.KeysException} when key material
 * cannot be made or loaded. For the cluster's TLS clients and servers (the agent protocol, the gateway's admin API):
 * {@link dev.baton.ckpt.keys.ClusterTlsFailures} says what a failed handshake means, from either end, and
 * {@link dev.baton.ckpt.keys.ClusterConnectionException} is the base of their connection exceptions, with one set of
 * reasons a user can act on.
 */
package dev.baton.ckpt.keys;
