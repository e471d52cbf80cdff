package dev.baton.socket;

/**
 * The socket's address family. Kept apart from the addresses because an {@code AF_INET6} socket may carry
 * IPv4-mapped addresses, which Java shows as plain IPv4.
 */
public enum Family {
    INET, INET6
}
