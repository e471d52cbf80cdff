package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/**
 * A table printed with aligned columns, two spaces apart, headers in capitals. {@link #of(JsonNode)} makes one from
 * JSON objects whose fields this CLI does not know: a column per field, in the order the fields first appear.
 */
final class Table {
    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    private Table(List<String> headers) {
        this.headers = List.copyOf(headers);
    }

    static Table withColumns(String... headers) {
        return new Table(List.of(headers));
    }

    /** A row per object of {@code json} (an array, or one object); nested values are shown as compact JSON. */
    static Table of(JsonNode json) {
        List<JsonNode> objects = json.isArray() ? StreamSupport.stream(json.spliterator(), false).toList()
                : List.of(json);
        Set<String> fields = new LinkedHashSet<>();
        for (JsonNode o : objects) o.properties().forEach(e -> fields.add(e.getKey()));
        Table table = new Table(fields.stream().map(Table::header).toList());
        for (JsonNode o : objects) {
            table.rows.add(fields.stream().map(f -> cell(o.get(f))).toList());
        }
        return table;
    }

    Table row(Object... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException(cells.length + " cells for " + headers.size() + " columns");
        }
        rows.add(Arrays.stream(cells).map(c -> c == null ? "-" : c.toString()).toList());
        return this;
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    void print(PrintWriter out) {
        int[] widths = new int[headers.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = headers.get(i).length();
            for (List<String> r : rows) widths[i] = Math.max(widths[i], r.get(i).length());
        }
        line(out, headers, widths);
        for (List<String> r : rows) line(out, r, widths);
        out.flush();
    }

    private static void line(PrintWriter out, List<String> cells, int[] widths) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) s.append("  ");
            s.append(cells.get(i)).append(" ".repeat(widths[i] - cells.get(i).length()));
        }
        out.println(s.toString().stripTrailing());
    }

    /** "bytesUp" → "BYTES_UP" */
    static String header(String field) {
        return field.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    private static String cell(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) return "-";
        if (v.isValueNode()) return v.asText();
        if (v.isArray() && StreamSupport.stream(v.spliterator(), false).allMatch(JsonNode::isValueNode)) {
            return v.isEmpty() ? "-" : StreamSupport.stream(v.spliterator(), false).map(JsonNode::asText)
                    .collect(Collectors.joining(","));
        }
        return v.toString();
    }
}
