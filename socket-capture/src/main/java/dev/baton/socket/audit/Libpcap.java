package dev.baton.socket.audit;

import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;

import java.io.IOException;

/** How libpcap failures reach callers: as IOExceptions with a message a user can act on. */
final class Libpcap {
    static final String NOT_INSTALLED = "libpcap not installed: run scripts/install-deps.sh";

    private Libpcap() {}

    /**
     * Loads pcap4j's bindings to libpcap. Called before any other libpcap use because pcap4j reports a missing
     * library, on its optional functions (nanosecond timestamps among them), as "not supported by the pcap
     * library". JNA fails with UnsatisfiedLinkError the first time the bindings load without libpcap, and with
     * NoClassDefFoundError on every later attempt.
     */
    static void require() throws IOException {
        try {
            Pcaps.libVersion();
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new IOException(NOT_INSTALLED, e);
        }
    }

    static IOException failed(String what, PcapNativeException e) {
        return new IOException(what + ": " + e.getMessage(), e);
    }
}
