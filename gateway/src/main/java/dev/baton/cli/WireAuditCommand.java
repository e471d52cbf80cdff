package dev.baton.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.baton.socket.StateJson;
import dev.baton.socket.audit.WireAudit;
import dev.baton.socket.audit.WireReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code baton wire audit FILE --peer IP:PORT [--json]}: audits the connection of one endpoint (the peer, which
 * keeps its address while the other end may move) in a pcap file. Exit code 1 when the wire shows a RST or a gap.
 */
@Command(name = "audit", description = "Audit one endpoint's connection in a pcap file: RST, holes, duplicates, retransmissions, silences.")
final class WireAuditCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The pcap file.")
    private Path file;

    @Option(names = "--peer", required = true, paramLabel = "IP:PORT", converter = AddressConverter.class,
            description = "The endpoint that stays put, e.g. the client's address and port.")
    private InetSocketAddress peer;

    @Option(names = "--json", description = "The report as JSON.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        WireReport report = WireAudit.analyze(file, peer);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(StateJson.mapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
        } else {
            out.println(StateJson.format(peer) + ": " + report.summary());
            out.println(report.isClean() ? "clean: no RST, no unfilled hole" : "NOT clean");
        }
        out.flush();
        return report.isClean() ? 0 : 1;
    }
}
