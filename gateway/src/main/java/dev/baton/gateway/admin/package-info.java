/**
 * The gateway's admin API: HTTP/1.1 over mutually authenticated TLS 1.3 (the cluster's certificates from
 * {@code baton keys}), JSON answers, loopback by default.
 * <ul>
 *   <li>{@link dev.baton.gateway.admin.AdminServer} serves {@link dev.baton.gateway.admin.AdminRoutes} (routes as
 *       data: method, path with {@code {parameters}}, an {@link dev.baton.gateway.admin.AdminHandler}); handlers
 *       run off Netty's threads; errors are {@code {"error": "..."}} with 400/404/405/409/413/500.</li>
 *   <li>{@link dev.baton.gateway.admin.AdminApi} is the gateway's standard route set (health, services, flows,
 *       workloads, migrations, metrics) bound to suppliers and {@link dev.baton.gateway.migrate.Migrations}.</li>
 *   <li>{@link dev.baton.gateway.admin.AdminClient} calls it from the CLI (JDK HTTP client); connection and
 *       certificate problems are {@link dev.baton.gateway.admin.AdminConnectionException}s (the cluster's
 *       {@link dev.baton.ckpt.keys.ClusterConnectionException}, with the agent client's reasons), error answers
 *       {@link dev.baton.gateway.admin.AdminException}s. Both sides read TLS failures with
 *       {@link dev.baton.ckpt.keys.ClusterTlsFailures}: the server logs why it refused a caller.</li>
 * </ul>
 */
package dev.baton.gateway.admin;
