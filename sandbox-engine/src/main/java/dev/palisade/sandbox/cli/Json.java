package dev.palisade.sandbox.cli;

import dev.palisade.sandbox.DeniedCall;
import dev.palisade.sandbox.SandboxResult;

import java.util.Map;
import java.util.TreeMap;

/** A tiny JSON writer: just enough for {@link SandboxResult}. */
public final class Json {

    private Json() {
    }

    public static String of(SandboxResult r) {
        StringBuilder b = new StringBuilder(512);
        b.append("{\n");
        field(b, "termination", r.termination().name()).append(",\n");
        field(b, "exitCode", r.exitCode()).append(",\n");
        field(b, "signal", r.signal()).append(",\n");
        field(b, "shellStatus", r.shellStatus()).append(",\n");
        field(b, "message", r.message()).append(",\n");
        field(b, "platform", r.platform()).append(",\n");
        field(b, "platformReason", r.platformReason()).append(",\n");
        field(b, "cpuNanos", r.cpuNanos()).append(",\n");
        field(b, "wallNanos", r.wallNanos()).append(",\n");
        field(b, "peakMemoryBytes", r.peakMemoryBytes()).append(",\n");
        b.append("  \"syscallCounts\": {");
        boolean first = true;
        for (Map.Entry<String, Long> e : new TreeMap<>(r.syscallCounts()).entrySet()) {
            b.append(first ? "" : ",").append("\n    ");
            string(b, e.getKey()).append(": ").append(e.getValue());
            first = false;
        }
        b.append(first ? "},\n" : "\n  },\n");
        b.append("  \"deniedCalls\": [");
        first = true;
        for (DeniedCall d : r.deniedCalls()) {
            b.append(first ? "" : ",").append("\n    {\"pid\": ").append(d.pid()).append(", \"number\": ").append(d.number())
                    .append(", \"name\": ");
            string(b, d.name()).append(", \"errno\": ").append(d.errno()).append(", \"action\": ");
            string(b, d.action()).append(", \"detail\": ");
            string(b, d.detail()).append('}');
            first = false;
        }
        b.append(first ? "],\n" : "\n  ],\n");
        field(b, "deniedCallsDropped", r.deniedCallsDropped()).append("\n}\n");
        return b.toString();
    }

    private static StringBuilder field(StringBuilder b, String name, Object value) {
        b.append("  ");
        string(b, name).append(": ");
        if (value instanceof Number) {
            b.append(value);
        } else {
            string(b, value == null ? null : value.toString());
        }
        return b;
    }

    /** Appends a JSON string literal (or null). */
    static StringBuilder string(StringBuilder b, String s) {
        if (s == null) {
            return b.append("null");
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"');
    }
}
