package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;

/** The {@code --table} form of {@code baton sockets list}, rendered from the same JSON rows as {@code --json}. */
final class SocketTable {
    private static final String ROW = "%4s  %-11s  %-24s  %-24s  %8s  %18s%n";

    private SocketTable() {}

    static void print(Iterable<JsonNode> rows, PrintWriter out) {
        out.printf(ROW, "FD", "STATE", "LOCAL", "REMOTE", "RECVQ", "SENDQ UNACK/UNSENT");
        for (JsonNode r : rows) {
            boolean captured = r.has("receiveQueue");
            out.printf(ROW, r.path("fd").asInt(), r.path("state").asText(), r.path("local").asText(),
                    r.path("remote").asText("-"),
                    captured ? r.path("receiveQueue").path("length").asText() : "-",
                    captured ? r.path("sendQueue").path("unackedLength").asText() + "/"
                            + r.path("sendQueue").path("unsentLength").asText() : "-");
            if (r.has("error")) out.printf("      %s%n", r.path("error").asText());
        }
    }
}
