/**
 * The gateway's data path (Netty 4.2, native epoll): a {@link dev.baton.gateway.proxy.Service} per listen
 * address, a {@link dev.baton.gateway.proxy.Flow} per peer connection with its upstream connection on the same
 * event loop. Backpressure by autoRead, half-close passed on after the pending bytes, idle timeout, and for a
 * migration: new flows paused and resumed toward another host, and per flow freeze, detach of the upstream
 * socket (for a TCP_REPAIR capture), adoption of a rebuilt socket, and thaw.
 *
 * <p>Public: {@code Service}, {@code Flow} (with {@code Flow.State}), {@code FlowClosedException}, and
 * {@code Proxy}, which only the {@code Gateway} facade uses. Everything else is package-private.
 */
package dev.baton.gateway.proxy;
