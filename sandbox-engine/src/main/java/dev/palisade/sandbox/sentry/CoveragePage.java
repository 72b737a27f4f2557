package dev.palisade.sandbox.sentry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * Generates {@code docs/syscalls.md}, the coverage page, from {@link SyscallTable}. Never edit the
 * page by hand: {@code CoveragePageTest} fails when it differs from what this class generates.
 *
 * <pre>java -cp sandbox-engine/target/classes dev.palisade.sandbox.sentry.CoveragePage sandbox-engine/docs/syscalls.md</pre>
 */
public final class CoveragePage {

    private CoveragePage() {
    }

    public static String render() {
        Map<Syscall.Action, Integer> counts = new EnumMap<>(Syscall.Action.class);
        for (Syscall s : SyscallTable.ALL) {
            counts.merge(s.action(), 1, Integer::sum);
        }
        StringBuilder b = new StringBuilder();
        b.append("# System call coverage of the Sentry (x86-64)\n\n");
        b.append("Generated from `SyscallTable` by `CoveragePage`; do not edit by hand.\n\n");
        b.append("| action | meaning | calls |\n|---|---|---:|\n");
        b.append("| pass | the host kernel runs it; the seccomp filter lets it through without a stop | ")
                .append(counts.getOrDefault(Syscall.Action.PASS, 0)).append(" |\n");
        b.append("| emulate | stops at the Sentry, answered (or checked, then run) in Java | ")
                .append(counts.getOrDefault(Syscall.Action.EMULATE, 0)).append(" |\n");
        b.append("| deny | answered with the errno without running; recorded as a security event | ")
                .append(counts.getOrDefault(Syscall.Action.DENY, 0)).append(" |\n");
        b.append("| kill | ends the sandbox; recorded | ").append(counts.getOrDefault(Syscall.Action.KILL, 0)).append(" |\n\n");
        b.append("Numbers not listed (the unassigned range 335..423, and anything above ")
                .append(SyscallTable.maxNumber()).append(") are refused with `")
                .append(SyscallTable.DEFAULT_DENY.name()).append("` and recorded. ")
                .append("Calls through the 32-bit (`int 0x80`) or x32 ABIs kill the process in the seccomp filter.\n\n");
        b.append("| nr | name | action | errno | note |\n|---:|---|---|---|---|\n");
        for (Syscall s : SyscallTable.ALL) {
            b.append("| ").append(s.number()).append(" | `").append(s.name()).append("` | ")
                    .append(s.action().name().toLowerCase()).append(" | ")
                    .append(s.errno() == null ? "" : s.errno().name()).append(" | ")
                    .append(s.note().replace("|", "\\|")).append(" |\n");
        }
        return b.toString();
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "sandbox-engine/docs/syscalls.md");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, render());
        System.out.println("wrote " + out);
    }
}
