package dev.palisade.sandbox.sentry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * Generates {@code docs/syscalls.md}, the coverage page, from {@link SyscallTable}: one column
 * per platform. Never edit the page by hand: {@code CoveragePageTest} fails when it differs from
 * what this class generates.
 *
 * <pre>java -cp sandbox-engine/target/classes dev.palisade.sandbox.sentry.CoveragePage sandbox-engine/docs/syscalls.md</pre>
 */
public final class CoveragePage {

    private CoveragePage() {
    }

    /** The ptrace column of an entry. */
    static String ptrace(Syscall s) {
        return switch (s.action()) {
            case PASS -> s.served() != null ? "served" : "pass";
            case CHECK -> "checked";
            case EMULATE -> "emulated";
            case DENY -> "denied " + s.errno().name();
            case KILL -> "kill";
        };
    }

    /** The KVM column of an entry. */
    static String kvm(Syscall s) {
        return switch (s.action()) {
            case DENY -> "denied " + s.errno().name();
            case KILL -> "kill";
            default -> switch (s.kvm()) {
                case FULL -> "full";
                case PARTIAL -> "partial";
                case NONE -> "—";
            };
        };
    }

    public static String render() {
        Map<Syscall.Action, Integer> ptrace = new EnumMap<>(Syscall.Action.class);
        Map<Syscall.KvmSupport, Integer> kvm = new EnumMap<>(Syscall.KvmSupport.class);
        int denied = 0, served = 0;
        for (Syscall s : SyscallTable.ALL) {
            if (s.served() != null) {
                served++;
            } else {
                ptrace.merge(s.action(), 1, Integer::sum);
            }
            if (s.action() == Syscall.Action.DENY || s.action() == Syscall.Action.KILL) {
                denied++;
            } else {
                kvm.merge(s.kvm(), 1, Integer::sum);
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("# System call coverage of the Sentry (x86-64)\n\n");
        b.append("Generated from `SyscallTable` by `CoveragePage`; do not edit by hand. Each entry of the table\n")
                .append("carries its handler (one implementation, in `dev.palisade.sandbox.sentry.Sys*`) and its support\n")
                .append("on each platform; `Sentry.call` is the one dispatch for both.\n\n");
        b.append("| ptrace | meaning | calls |\n|---|---|---:|\n");
        b.append("| pass | the host kernel runs it; the seccomp filter lets it through without a stop | ")
                .append(ptrace.getOrDefault(Syscall.Action.PASS, 0)).append(" |\n");
        b.append("| checked | passes without a stop when an argument is on its list (`ArgumentChecks`: the note says which); other values are refused and recorded | ")
                .append(ptrace.getOrDefault(Syscall.Action.CHECK, 0)).append(" |\n");
        b.append("| served | a path call: the filter sends it to the Sentry (seccomp user notification), which reads the path ")
                .append("once, resolves it in the sandbox's root at the program's identity and answers, or installs the descriptor it opened ")
                .append("(engine option `palisade.ptrace.servePaths`, on by default, rootless too; off: runs as pass) | ")
                .append(served).append(" |\n");
        b.append("| emulated | stops at the Sentry, answered (or checked, then run) by its handler | ")
                .append(ptrace.getOrDefault(Syscall.Action.EMULATE, 0)).append(" |\n");
        b.append("| denied | answered with the errno without running; recorded as a security event | ")
                .append(ptrace.getOrDefault(Syscall.Action.DENY, 0)).append(" |\n");
        b.append("| kill | ends the sandbox; recorded | ").append(ptrace.getOrDefault(Syscall.Action.KILL, 0)).append(" |\n\n");
        b.append("| kvm | meaning | calls |\n|---|---|---:|\n");
        b.append("| full | the handler implements it as Linux does, within the sandbox's view | ")
                .append(kvm.getOrDefault(Syscall.KvmSupport.FULL, 0)).append(" |\n");
        b.append("| partial | implemented with the limits the note names | ")
                .append(kvm.getOrDefault(Syscall.KvmSupport.PARTIAL, 0)).append(" |\n");
        b.append("| — | not implemented: ENOSYS (counted) | ").append(kvm.getOrDefault(Syscall.KvmSupport.NONE, 0)).append(" |\n");
        b.append("| denied, kill | as on ptrace | ").append(denied).append(" |\n\n");
        b.append("Numbers not listed (the unassigned range 337..423, and anything above ")
                .append(SyscallTable.maxNumber()).append(") are refused with `")
                .append(SyscallTable.DEFAULT_DENY.name()).append("` and recorded on both platforms. ")
                .append("Calls through the 32-bit (`int 0x80`) or x32 ABIs kill the process in the seccomp filter (ptrace).\n\n");
        b.append("| nr | name | ptrace | kvm | note |\n|---:|---|---|---|---|\n");
        for (Syscall s : SyscallTable.ALL) {
            String note = s.note();
            if (!s.kvmNote().isEmpty()) {
                note = (note.isEmpty() ? "" : note + "; ") + "kvm: " + s.kvmNote();
            }
            b.append("| ").append(s.number()).append(" | `").append(s.name()).append("` | ")
                    .append(ptrace(s)).append(" | ").append(kvm(s)).append(" | ")
                    .append(note.replace("|", "\\|")).append(" |\n");
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
