package dev.baton.socket;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * Run by {@link RefusedInputTest} in a child JVM without CAP_NET_ADMIN: connects to the port given, tries to
 * capture its own socket, reports the outcome over that socket (which must still work) and reads a reply.
 */
public final class NoNetAdminProbe {
    private NoNetAdminProbe() {}

    public static void main(String[] args) throws Exception {
        InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
        try (SocketChannel ch = SocketChannel.open(server)) {
            ch.socket().setSoTimeout(10_000);
            int fd = LabSockets.fdOf(ch);
            String outcome;
            try {
                SocketCapture.capture(TcpSocket.borrow(fd));
                outcome = "CAPTURED";
            } catch (SocketCaptureException e) {
                outcome = e.reason().name();
            }
            outcome += " repair=" + (LabSockets.inRepairMode(fd) ? 1 : 0);
            LabSockets.writeAll(ch, (outcome + "\n").getBytes(StandardCharsets.US_ASCII));
            byte[] reply = LabSockets.readExactly(ch, 3);
            System.out.println(outcome + " reply=" + new String(reply, StandardCharsets.US_ASCII).strip());
        }
    }
}
