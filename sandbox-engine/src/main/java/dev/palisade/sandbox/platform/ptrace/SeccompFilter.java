package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.abi.SyscallNr;
import dev.palisade.sandbox.sentry.Syscall;
import dev.palisade.sandbox.sentry.SyscallTable;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The seccomp-bpf program compiled from the syscall table.
 *
 * <ul>
 *   <li>{@code arch != AUDIT_ARCH_X86_64} (a 32-bit {@code int 0x80} call) and x32 numbers
 *       ({@code nr & 0x40000000}) kill the process: the kernel does it, no race possible;</li>
 *   <li>{@code PASS} numbers return {@code SECCOMP_RET_ALLOW}: no stop, native speed;</li>
 *   <li>{@code CHECK} numbers test one argument register against their list
 *       ({@link ArgumentFilter}): {@code ALLOW} on the list, {@code TRACE} (the Sentry refuses and
 *       records) off it;</li>
 *   <li>everything else (emulate, deny, kill, unknown numbers) returns {@code SECCOMP_RET_TRACE}
 *       and stops at the tracer, which decides on the registers.</li>
 * </ul>
 * Numbers are split into runs of equal verdict and found by binary search, so a call costs about
 * log2(runs) comparisons. With {@code traceAll} every call stops (for {@code --trace}).
 * With path serving on, the calls {@link ServedPaths} names go to the Sentry's listener instead.
 */
final class SeccompFilter {

    static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    static final int RET_KILL_PROCESS = 0x80000000, RET_TRACE = 0x7ff00000, RET_ALLOW = 0x7fff0000;
    static final int LD_W_ABS = 0x20, JEQ_K = 0x15, JGE_K = 0x35, JSET_K = 0x45, JA = 0x05, RET_K = 0x06;
    /** Offsets in {@code struct seccomp_data}: the call number, the architecture, the six argument registers. */
    static final int OFF_NR = 0, OFF_ARCH = 4, OFF_ARGS = 16;

    record Insn(int code, int jt, int jf, int k) {
    }

    private SeccompFilter() {
    }

    /** The sock_filter array, 8 bytes per instruction, little-endian. */
    static byte[] compile(boolean traceAll) {
        return compile(traceAll, false);
    }

    /** The sock_filter array; {@code servePaths}: served path calls go to the listener, on every setting. */
    static byte[] compile(boolean traceAll, boolean servePaths) {
        List<Insn> p = new ArrayList<>();
        p.add(new Insn(LD_W_ABS, 0, 0, OFF_ARCH));
        p.add(new Insn(JEQ_K, 1, 0, AUDIT_ARCH_X86_64));
        p.add(new Insn(RET_K, 0, 0, RET_KILL_PROCESS));
        p.add(new Insn(LD_W_ABS, 0, 0, OFF_NR));
        p.add(new Insn(JSET_K, 0, 1, 0x40000000));
        p.add(new Insn(RET_K, 0, 0, RET_KILL_PROCESS));
        if (traceAll && !servePaths) {
            p.add(new Insn(RET_K, 0, 0, RET_TRACE));
        } else {
            // runs [start, next start) of one verdict over 0..2^32
            List<long[]> runs = new ArrayList<>();
            int max = SyscallTable.maxNumber();
            int current = verdict(0, traceAll, servePaths);
            long start = 0;
            for (int nr = 1; nr <= max + 1; nr++) {
                int v = nr <= max ? verdict(nr, traceAll, servePaths) : TRACE;
                if (v != current || v == CHECK) {
                    runs.add(new long[]{start, current});
                    start = nr;
                    current = v;
                }
            }
            runs.add(new long[]{start, current});
            emit(p, runs, 0, runs.size());
        }
        ByteBuffer b = ByteBuffer.allocate(p.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (Insn i : p) {
            b.putShort((short) i.code).put((byte) i.jt).put((byte) i.jf).putInt(i.k);
        }
        return b.array();
    }

    /**
     * Verdicts of a run: stop at the tracer, let through, test one argument ({@link ArgumentFilter};
     * a run of one number), or one of {@link ServedPaths}'s (2 and up).
     */
    static final int TRACE = 0, ALLOW = 1, CHECK = -1;

    private static int verdict(int nr, boolean traceAll, boolean servePaths) {
        if (servePaths && nr == ExecServing.MARKER) {
            return ServedPaths.NOTIFY;
        }
        if (servePaths && (nr == SyscallNr.EXECVE || nr == SyscallNr.EXECVEAT)) {
            return TRACE; // the tracer hands them to the Sentry (ExecServing)
        }
        if (servePaths && ServedPaths.served(nr)) {
            return ServedPaths.verdict(nr);
        }
        Syscall s = SyscallTable.get(nr);
        if (traceAll || s == null) {
            return TRACE;
        }
        return switch (s.action()) {
            case PASS -> ALLOW;
            case CHECK -> CHECK;
            default -> TRACE;
        };
    }

    /** Binary search over runs[from, to): "nr >= start(mid)? right : left", long jumps through JA. */
    private static void emit(List<Insn> p, List<long[]> runs, int from, int to) {
        if (to - from == 1) {
            long[] run = runs.get(from);
            int v = (int) run[1];
            if (v == CHECK) {
                ArgumentFilter.emit(p, (int) run[0]);
            } else if (v >= ServedPaths.FIRST_VERDICT) {
                ServedPaths.emit(p, v);
            } else {
                p.add(new Insn(RET_K, 0, 0, v == ALLOW ? RET_ALLOW : RET_TRACE));
            }
            return;
        }
        int mid = (from + to) / 2;
        int jge = p.size();
        p.add(null);               // jge start(mid): jt -> JA right, jf -> left
        p.add(null);               // ja right
        int leftStart = p.size();
        emit(p, runs, from, mid);
        int rightStart = p.size();
        p.set(jge, new Insn(JGE_K, 0, 1, (int) runs.get(mid)[0]));
        p.set(jge + 1, new Insn(JA, 0, 0, rightStart - leftStart));
        emit(p, runs, mid, to);
    }
}
