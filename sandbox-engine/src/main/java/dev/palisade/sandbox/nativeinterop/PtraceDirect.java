package dev.palisade.sandbox.nativeinterop;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * Direct-mapped libc calls for the tracer's hot loop (sys/ptrace.h, sys/wait.h, sys/uio.h).
 * {@code Native.register} binds these static natives once; a call then costs a plain JNI
 * transition instead of interface mapping's reflection and argument conversion. Raw: callers
 * check the return value and read {@link #errno()}.
 */
public final class PtraceDirect {

    static {
        Native.register(PtraceDirect.class, NativeLibrary.getInstance("c"));
    }

    private PtraceDirect() {
    }

    /** {@code long ptrace(request, pid, addr, data)} with a pointer as data (GETREGS, SETREGS, GETEVENTMSG). */
    public static native long ptrace(long request, int pid, long addr, Pointer data);

    /** {@code long ptrace(request, pid, addr, data)} with a number as data (CONT with a signal, SEIZE options). */
    public static native long ptrace(long request, int pid, long addr, long data);

    /** {@code pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)}. */
    public static native int wait4(int pid, Pointer status, int options, Pointer rusage);

    public static native int kill(int pid, int sig);

    public static native long process_vm_writev(int pid, Pointer localIov, long liovcnt, Pointer remoteIov, long riovcnt, long flags);

    public static native long process_vm_readv(int pid, Pointer localIov, long liovcnt, Pointer remoteIov, long riovcnt, long flags);

    /** errno of the last native call of this thread. */
    public static int errno() {
        return Native.getLastError();
    }
}
