package dev.baton.socket.audit;

import org.pcap4j.core.PcapNativeException;

import java.io.IOException;

/** How libpcap failures reach callers: as IOExceptions with a message a user can act on. */
final class Libpcap {
    static final String NOT_INSTALLED = "libpcap not installed: run scripts/install-deps.sh";

    private Libpcap() {}

    /**
     * JNA fails with UnsatisfiedLinkError the first time pcap4j's bindings load without libpcap, and with
     * NoClassDefFoundError on every later attempt.
     */
    static IOException notInstalled(LinkageError e) {
        return new IOException(NOT_INSTALLED, e);
    }

    static IOException failed(String what, PcapNativeException e) {
        return new IOException(what + ": " + e.getMessage(), e);
    }
}
