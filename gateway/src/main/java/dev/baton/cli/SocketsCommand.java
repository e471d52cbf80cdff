package dev.baton.cli;

import picocli.CommandLine.Command;

/** {@code baton sockets}: the TCP sockets of a live process. */
@Command(name = "sockets", description = "Inspect and re-point the TCP sockets of a live process.",
        subcommands = {ListSocketsCommand.class, RepointCommand.class})
final class SocketsCommand {
}
