package dev.baton.cli;

import dev.baton.socket.StateJson;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.net.InetSocketAddress;

/** {@code IP:PORT} (IPv6 in brackets), never resolved; a bad value is a usage error. */
final class AddressConverter implements ITypeConverter<InetSocketAddress> {
    @Override
    public InetSocketAddress convert(String value) {
        try {
            return StateJson.parseAddress(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(
                    e.getMessage() + " (expected IP:PORT, e.g. 198.18.0.2:80 or [2001:db8::2]:80)");
        }
    }
}
