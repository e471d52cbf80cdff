package dev.baton.cli;

import picocli.CommandLine.Command;

/** {@code baton wire}: record and audit what crossed the wire. */
@Command(name = "wire", description = "Capture a flow's packets and audit a capture (RST, holes, duplicates, silences).",
        subcommands = {WireCaptureCommand.class, WireAuditCommand.class})
final class WireCommand {
}
