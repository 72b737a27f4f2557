package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.sentry.ArgumentCheck;
import dev.palisade.sandbox.sentry.ArgumentChecks;

import java.util.List;

/**
 * The argument-checking part of the seccomp filter: for a {@code CHECK} call, the low 32 bits
 * of its checked argument register compared with each allowed value; a match returns
 * {@code ALLOW}, no match {@code TRACE} (the Sentry refuses the call and records it, with the
 * same {@link ArgumentCheck} deciding). Kept apart from {@link SeccompFilter}'s dispatch on
 * numbers so that what each call's arguments may be is read in one place.
 */
final class ArgumentFilter {

    /** Offset of {@code seccomp_data.args[0]}; each argument is 8 bytes, the low word first (little-endian). */

    private ArgumentFilter() {
    }

    /** Appends the check of call {@code nr} (its number already matched): ends in a return on every path. */
    static void emit(List<SeccompFilter.Insn> p, int nr) {
        ArgumentCheck check = ArgumentChecks.of(nr).orElseThrow(() -> new IllegalStateException("no argument check for call " + nr));
        long[] values = check.values();
        if (values.length > 250) {
            throw new IllegalStateException("too many values for one jump table: " + check);
        }
        p.add(new SeccompFilter.Insn(SeccompFilter.LD_W_ABS, 0, 0, SeccompFilter.OFF_ARGS + 8 * check.argument()));
        for (int i = 0; i < values.length; i++) {
            // on a match, jump over the remaining comparisons and the TRACE return to the ALLOW one
            int toAllow = values.length - 1 - i + 1;
            p.add(new SeccompFilter.Insn(SeccompFilter.JEQ_K, toAllow, 0, (int) values[i]));
        }
        p.add(new SeccompFilter.Insn(SeccompFilter.RET_K, 0, 0, SeccompFilter.RET_TRACE));
        p.add(new SeccompFilter.Insn(SeccompFilter.RET_K, 0, 0, SeccompFilter.RET_ALLOW));
    }
}
