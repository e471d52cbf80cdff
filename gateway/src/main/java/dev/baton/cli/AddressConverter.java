package dev.baton.cli;

import dev.baton.socket.StateJson;
import picocli.CommandLine.ITypeConverter;

import java.net.InetSocketAddress;

/** {@code IP:PORT} (IPv6 in brackets), never resolved; a bad value is a usage error. */
final class AddressConverter implements ITypeConverter<InetSocketAddress> {
    @Override
    public InetSocketAddress convert(String value) {
        return StateJson.parseAddress(value);
    }
}
