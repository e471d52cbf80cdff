package dev.baton.gateway;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.regex.Pattern;

/** IP literals with a port, as the config writes them: {@code 198.18.5.1:9000}, {@code [::1]:9000}. No DNS. */
final class Addresses {
    private Addresses() {
    }

    /** IPv4 as four decimal parts: InetAddress also takes "198.18.5" (as 198.18.0.5), which is a typo here. */
    private static final Pattern DOTTED_QUAD = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    static InetAddress parseIp(String text) {
        try {
            return literal(text.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IP address (like 198.18.5.2 or ::1)");
        }
    }

    private static InetAddress literal(String ip) {
        if (!ip.contains(":") && !DOTTED_QUAD.matcher(ip).matches()) throw new IllegalArgumentException(ip);
        return InetAddress.ofLiteral(ip);
    }

    static InetSocketAddress parse(String text) {
        String t = text.trim();
        int colon = t.lastIndexOf(':');
        String ip = colon > 0 ? t.substring(0, colon) : "";
        boolean bracketed = ip.startsWith("[") && ip.endsWith("]");
        if (bracketed) ip = ip.substring(1, ip.length() - 1);
        try {
            int port = Integer.parseInt(t.substring(colon + 1));
            InetAddress address = literal(ip);
            // an IPv6 address needs its brackets, or "::1:80" would be ambiguous
            if (port < 0 || port > 65535 || ip.contains(":") != bracketed) {
                throw new IllegalArgumentException(t);
            }
            return new InetSocketAddress(address, port);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IP address and port "
                    + "(like 127.0.0.1:9000 or [::1]:9000)");
        }
    }

    static String format(InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        String host = ip == null ? a.getHostString() : ip.getHostAddress();
        return (ip instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
