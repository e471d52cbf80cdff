package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;

/** What the {@code baton gateway} subcommands share. */
final class GatewayCommands {
    private GatewayCommands() {
    }

    /** JSON objects of types this CLI does not know: the JSON as the gateway sent it, or a table of its fields. */
    static void print(JsonNode rows, boolean json, String whenEmpty, PrintWriter out) {
        if (json) {
            out.println(rows.toPrettyString());
        } else if (rows.isEmpty()) {
            out.println(whenEmpty);
        } else {
            Table.of(rows).print(out);
        }
        out.flush();
    }
}
