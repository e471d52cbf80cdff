package dev.baton.socket.audit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/** Run in a child JVM whose pcap4j looks for a libpcap that does not exist; prints what the audit says. */
final class NoLibpcapProbe {
    public static void main(String[] args) {
        try {
            WireAudit.analyze(Path.of(args[0]), new InetSocketAddress(InetAddress.getLoopbackAddress(), 1));
            System.out.println("no failure");
        } catch (IOException e) {
            System.out.println(e.getMessage());
        }
    }
}
