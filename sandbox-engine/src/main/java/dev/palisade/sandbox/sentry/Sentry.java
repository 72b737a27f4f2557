package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.FsError;

/**
 * The one dispatch of system calls, for both platforms: the table entry's policy (deny, kill,
 * unknown numbers), then its handler. A platform calls {@link #call} at every trapped call with
 * the context of the calling task and carries out the result.
 */
public final class Sentry {

    /** The platforms, for the table's per-platform support. */
    public enum Platform {
        /** The host kernel runs what the table passes; the Sentry sees only trapped calls. */
        PTRACE,
        /** Every call is the Sentry's: no host kernel behind the program. */
        KVM
    }

    /** A call the table's policy ends the sandbox for; the platform does that after recording it. */
    public static final long KILL = Long.MIN_VALUE + 1;

    private Sentry() {
    }

    /**
     * Serves one call. Deny entries and unknown numbers are refused through
     * {@link SyscallContext#refuse} (recorded); kill entries return {@link #KILL}. A handler's
     * {@link FsError} becomes its errno and a {@link BadAddress} EFAULT; {@link OutOfTaskMemory}
     * (the memory limit) and {@link TaskStopped} (the sandbox is ending) pass through; anything
     * else is a {@link SentryFault}.
     */
    public static long call(Platform platform, long nr, SyscallContext c) {
        Syscall s = SyscallTable.get(nr);
        if (s == null) {
            return c.refuse(SyscallTable.DEFAULT_DENY, "not in the syscall table (default deny)");
        }
        switch (s.action()) {
            case DENY:
                return c.refuse(s.errno(), s.note());
            case KILL:
                return KILL;
            case PASS:
                if (platform == Platform.PTRACE) {
                    return Handler.RUN_NATIVELY;
                }
                break;
            case CHECK:
                if (platform == Platform.PTRACE) {
                    return ArgumentChecks.decide(nr, c);
                }
                break;
            default:
                break;
        }
        if (platform == Platform.KVM && s.kvm() == Syscall.KvmSupport.NONE) {
            return Errno.ENOSYS.negated();
        }
        return run(s, c);
    }

    /** How {@link #call} decided, for a trace line. */
    public static String decision(Platform platform, long nr, long result) {
        Syscall s = SyscallTable.get(nr);
        if (s == null) {
            return "deny (unknown number)";
        }
        return switch (s.action()) {
            case DENY -> "deny";
            case KILL -> "kill";
            case PASS -> platform == Platform.PTRACE ? "pass" : s.kvm() == Syscall.KvmSupport.NONE ? "ENOSYS (not implemented)" : "emulate";
            case CHECK -> platform == Platform.PTRACE ? (result == Handler.RUN_NATIVELY ? "pass (argument allowed)" : "deny (argument)")
                    : s.kvm() == Syscall.KvmSupport.NONE ? "ENOSYS (not implemented)" : "emulate";
            case EMULATE -> platform == Platform.KVM && s.kvm() == Syscall.KvmSupport.NONE ? "ENOSYS (not implemented)" : "emulate";
        };
    }

    /**
     * Serves a path call the filter sent to the Sentry by user notification (ptrace): the entry's
     * {@link Syscall#served()} handler, with the errors handled as in {@link #call}. A number
     * without one (the filter sends none) is ENOSYS.
     */
    public static long serve(long nr, SyscallContext c) {
        Syscall s = SyscallTable.get(nr);
        if (s == null || s.served() == null) {
            return Errno.ENOSYS.negated();
        }
        return run(s.name(), s.served(), c);
    }

    /**
     * Serves an {@code execve} or {@code execveat} the ptrace tracer handed to the serving thread:
     * the file to run is resolved, checked and installed in the program, and described in {@code choice}.
     */
    public static long serveExec(ExecChoice choice, SyscallContext c) {
        return run("execve", cc -> SysPath.exec(cc, choice), c);
    }

    private static long run(Syscall s, SyscallContext c) {
        return run(s.name(), s.handler(), c);
    }

    private static long run(String name, Handler h, SyscallContext c) {
        try {
            return h.call(c);
        } catch (FsError e) {
            return e.errno().negated();
        } catch (BadAddress e) {
            return Errno.EFAULT.negated();
        } catch (OutOfTaskMemory | TaskStopped e) {
            throw e;
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            throw new SentryFault(name, e);
        }
    }
}
