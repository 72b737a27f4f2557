package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.abi.OpenFlags;
import dev.palisade.sandbox.nativeinterop.SeccompListener;
import dev.palisade.sandbox.sentry.Syscall;
import dev.palisade.sandbox.sentry.SyscallTable;

import java.util.List;

/**
 * The seccomp filter's part for path serving: the calls with a {@link Syscall#served()} handler
 * return {@code SECCOMP_RET_USER_NOTIF} and wait for the Sentry ({@link PathServer}).
 *
 * <p>One exception, checked on the flags argument: {@code newfstatat} and {@code statx} with
 * {@code AT_EMPTY_PATH}, which is how glibc's {@code fstat(fd)} reaches the kernel
 * ({@code newfstatat(fd, "", buf, AT_EMPTY_PATH)}), run natively. The filter cannot read the path,
 * so such a call with a non-empty path also runs natively: a metadata lookup that the kernel
 * resolves in the program's own root and mount namespace, at its identity (no open, no change).
 * That keeps fstat at native cost. Likewise {@code utimensat} with a null path (glibc's
 * {@code futimens(fd)}) names no path and runs natively, and so does {@code sendto} with a
 * null address ({@code send}): only an address can name a Unix socket's path.
 */
final class ServedPaths {
    /** Verdict codes in the filter's runs: sent to the listener; sent unless the flags argument has AT_EMPTY_PATH. */
    static final int FIRST_VERDICT = 2, NOTIFY = 2, NOTIFY_UNLESS_EMPTY_PATH_ARG2 = 4, NOTIFY_UNLESS_EMPTY_PATH_ARG3 = 5,
            NOTIFY_UNLESS_NULL_PATH = 6, NOTIFY_UNLESS_NULL_ADDRESS = 7;
    private static final int NEWFSTATAT = 262, STATX = 332, UTIMENSAT = 280, SENDTO = 44;

    private ServedPaths() {
    }

    static boolean served(int nr) {
        Syscall s = SyscallTable.get(nr);
        return s != null && s.served() != null;
    }

    static int verdict(int nr) {
        return switch (nr) {
            case NEWFSTATAT -> NOTIFY_UNLESS_EMPTY_PATH_ARG3;
            case STATX -> NOTIFY_UNLESS_EMPTY_PATH_ARG2;
            case UTIMENSAT -> NOTIFY_UNLESS_NULL_PATH;
            case SENDTO -> NOTIFY_UNLESS_NULL_ADDRESS;
            default -> NOTIFY;
        };
    }

    /** The filter's leaf for a served verdict. */
    static void emit(List<SeccompFilter.Insn> p, int verdict) {
        if (verdict == NOTIFY) {
            p.add(new SeccompFilter.Insn(SeccompFilter.RET_K, 0, 0, SeccompListener.RET_USER_NOTIF));
            return;
        }
        if (verdict == NOTIFY_UNLESS_NULL_PATH || verdict == NOTIFY_UNLESS_NULL_ADDRESS) {
            // utimensat(fd, NULL, times, 0) is futimens(fd): no path at all; sendto with no address
            // (send(), write() on a socket) names none either
            int arg = verdict == NOTIFY_UNLESS_NULL_PATH ? 1 : 4;
            p.add(new SeccompFilter.Insn(SeccompFilter.LD_W_ABS, 0, 0, SeccompFilter.OFF_ARGS + 8 * arg));
            p.add(new SeccompFilter.Insn(SeccompFilter.JEQ_K, 0, 3, 0));
            p.add(new SeccompFilter.Insn(SeccompFilter.LD_W_ABS, 0, 0, SeccompFilter.OFF_ARGS + 8 * arg + 4));
            p.add(new SeccompFilter.Insn(SeccompFilter.JEQ_K, 0, 1, 0));
            p.add(new SeccompFilter.Insn(SeccompFilter.RET_K, 0, 0, SeccompFilter.RET_ALLOW));
            p.add(new SeccompFilter.Insn(SeccompFilter.RET_K, 0, 0, SeccompListener.RET_USER_NOTIF));
            return;
        }
        int arg = verdict == NOTIFY_UNLESS_EMPTY_PATH_ARG2 ? 2 : 3;
        p.add(new SeccompFilter.Insn(SeccompFilter.LD_W_ABS, 0, 0, SeccompFilter.OFF_ARGS + 8 * arg)); // low 32 bits (little-endian)
        p.add(new SeccompFilter.Insn(SeccompFilter.JSET_K, 0, 1, OpenFlags.AT_EMPTY_PATH));
        p.add(new SeccompFilter.Insn(SeccompFilter.RET_K, 0, 0, SeccompFilter.RET_ALLOW));
        p.add(new SeccompFilter.Insn(SeccompFilter.RET_K, 0, 0, SeccompListener.RET_USER_NOTIF));
    }
}
