package dev.baton.ckpt.criu;

/**
 * A page server CRIU started on this host: a dump elsewhere with {@code pageServer(address, port)} writes its
 * memory pages here. It serves one dump and exits.
 *
 * @param pid  the page server process (a child of {@code criu swrk})
 * @param port the TCP port it listens on (the one asked for, or the one the kernel chose for port 0)
 */
public record PageServer(int pid, int port) {}
