package dev.palisade.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/** Prints what the API answered: as it is ({@code json}) or as a table of chosen columns. */
enum Output {
    TABLE, JSON;

    void print(PrintStream out, JsonNode answer, String... columns) {
        if (this == JSON) {
            out.println(Api.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(answer));
            return;
        }
        List<JsonNode> rows = new ArrayList<>();
        JsonNode items = answer.has("content") ? answer.get("content") : answer;
        if (items.isArray()) {
            items.forEach(rows::add);
        } else {
            rows.add(items);
        }
        int[] widths = new int[columns.length];
        List<String[]> cells = new ArrayList<>();
        String[] header = new String[columns.length];
        for (int c = 0; c < columns.length; c++) {
            header[c] = columns[c].toUpperCase(java.util.Locale.ROOT);
            widths[c] = header[c].length();
        }
        for (JsonNode row : rows) {
            String[] line = new String[columns.length];
            for (int c = 0; c < columns.length; c++) {
                JsonNode v = row.get(columns[c]);
                line[c] = v == null || v.isNull() ? "-" : v.isValueNode() ? v.asString() : v.toString();
                widths[c] = Math.max(widths[c], line[c].length());
            }
            cells.add(line);
        }
        printRow(out, header, widths);
        cells.forEach(line -> printRow(out, line, widths));
    }

    private static void printRow(PrintStream out, String[] cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < cells.length; c++) {
            line.append(c + 1 < cells.length ? String.format("%-" + widths[c] + "s  ", cells[c]) : cells[c]);
        }
        out.println(line.toString().stripTrailing());
    }
}
