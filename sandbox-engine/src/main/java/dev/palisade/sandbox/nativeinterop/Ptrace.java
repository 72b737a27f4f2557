package dev.palisade.sandbox.nativeinterop;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * ptrace(2) for one tracer thread: constants with the C names, and a checked facade over
 * {@link PtraceDirect} that reuses its native buffers. Not thread-safe by design: ptrace belongs
 * to the thread that attached, so each tracer thread owns one instance.
 */
public final class Ptrace {

    // requests (sys/ptrace.h)
    public static final int PTRACE_PEEKDATA = 2, PTRACE_POKEDATA = 5, PTRACE_CONT = 7, PTRACE_KILL = 8,
            PTRACE_GETREGS = 12, PTRACE_SETREGS = 13, PTRACE_DETACH = 17, PTRACE_SYSCALL = 24,
            PTRACE_SETOPTIONS = 0x4200, PTRACE_GETEVENTMSG = 0x4201, PTRACE_GETSIGINFO = 0x4202,
            PTRACE_SEIZE = 0x4206, PTRACE_INTERRUPT = 0x4207, PTRACE_LISTEN = 0x4208,
            PTRACE_GET_SYSCALL_INFO = 0x420e;
    // options
    public static final long PTRACE_O_TRACESYSGOOD = 1, PTRACE_O_TRACEFORK = 2, PTRACE_O_TRACEVFORK = 4,
            PTRACE_O_TRACECLONE = 8, PTRACE_O_TRACEEXEC = 0x10, PTRACE_O_TRACEEXIT = 0x40,
            PTRACE_O_TRACESECCOMP = 0x80, PTRACE_O_EXITKILL = 0x100000;
    // events (status >> 16)
    public static final int PTRACE_EVENT_FORK = 1, PTRACE_EVENT_VFORK = 2, PTRACE_EVENT_CLONE = 3,
            PTRACE_EVENT_EXEC = 4, PTRACE_EVENT_VFORK_DONE = 5, PTRACE_EVENT_EXIT = 6,
            PTRACE_EVENT_SECCOMP = 7, PTRACE_EVENT_STOP = 128;
    // PTRACE_GET_SYSCALL_INFO op
    public static final int SYSCALL_INFO_ENTRY = 1, SYSCALL_INFO_EXIT = 2, SYSCALL_INFO_SECCOMP = 3;
    // wait options
    public static final int WNOHANG = 1, WUNTRACED = 2, WNOTHREAD = 0x20000000, WALL = 0x40000000;

    private final Memory status = new Memory(8);
    private final Memory rusage = new Memory(144);
    private final Memory scratch = new Memory(128);
    private final Memory iov = new Memory(32);

    public static boolean exited(int st) {
        return (st & 0x7f) == 0;
    }

    public static int exitStatus(int st) {
        return (st >> 8) & 0xff;
    }

    public static boolean signaled(int st) {
        return ((st & 0x7f) + 1) >> 1 > 0 && (st & 0xff) != 0x7f;
    }

    public static int termSig(int st) {
        return st & 0x7f;
    }

    public static boolean stopped(int st) {
        return (st & 0xff) == 0x7f;
    }

    public static int stopSig(int st) {
        return (st >> 8) & 0xff;
    }

    public static int event(int st) {
        return (st >> 16) & 0xffff;
    }

    private static long check(String op, int pid, long rc) {
        if (rc < 0) {
            throw NativeCallException.of(op + "(" + pid + ")", PtraceDirect.errno());
        }
        return rc;
    }

    public void seize(int pid, long options) {
        check("PTRACE_SEIZE", pid, PtraceDirect.ptrace(PTRACE_SEIZE, pid, 0, options));
    }

    /** Resumes with {@code request} (CONT, SYSCALL) delivering {@code sig} (0 for none). Ignores a tracee already gone. */
    public boolean resume(int request, int pid, int sig) {
        long rc = PtraceDirect.ptrace(request, pid, 0, sig);
        if (rc < 0) {
            int e = PtraceDirect.errno();
            if (e == 3) {
                return false; // ESRCH: killed meanwhile (SIGKILL from a limit)
            }
            throw NativeCallException.of("ptrace resume " + request, e);
        }
        return true;
    }

    /** PTRACE_INTERRUPT: the seized tracee stops (PTRACE_EVENT_STOP) at its next chance; false when it is gone. */
    public boolean interrupt(int pid) {
        return PtraceDirect.ptrace(PTRACE_INTERRUPT, pid, 0, 0) >= 0;
    }

    public boolean getRegs(int pid, Regs regs) {
        return PtraceDirect.ptrace(PTRACE_GETREGS, pid, 0, regs.memory()) >= 0;
    }

    public boolean setRegs(int pid, Regs regs) {
        return PtraceDirect.ptrace(PTRACE_SETREGS, pid, 0, regs.memory()) >= 0;
    }

    /**
     * The message of the event the tracee is stopped at, or -1 when it is no longer stopped there:
     * a SIGKILL (a limit, another process of the sandbox) takes it out of the stop before we ask.
     */
    public long eventMessage(int pid) {
        return PtraceDirect.ptrace(PTRACE_GETEVENTMSG, pid, 0, scratch) < 0 ? -1 : scratch.getLong(0);
    }

    /** The tracee's blocked-signal mask (PTRACE_GETSIGMASK), or 0 when it cannot be read. */
    public long sigmask(int pid) {
        return PtraceDirect.ptrace(0x420a, pid, 8, scratch) < 0 ? 0 : scratch.getLong(0);
    }

    /** Sets the tracee's blocked-signal mask (PTRACE_SETSIGMASK); SIGKILL and SIGSTOP stay unblocked. */
    public boolean sigmask(int pid, long mask) {
        scratch.setLong(0, mask);
        return PtraceDirect.ptrace(0x420b, pid, 8, scratch) == 0;
    }

    /** The op of PTRACE_GET_SYSCALL_INFO: entry, exit, seccomp, or 0 for none. */
    public int syscallInfoOp(int pid) {
        long rc = PtraceDirect.ptrace(PTRACE_GET_SYSCALL_INFO, pid, 88, scratch);
        return rc < 0 ? -1 : scratch.getByte(0);
    }

    /**
     * Waits for a tracee event; returns the tid, or -errno. The status is in {@link #lastStatus()},
     * the rusage of a reaped child in {@link #lastRusage()}.
     */
    public int wait(int pid, int options) {
        int rc = PtraceDirect.wait4(pid, status, options, rusage);
        return rc < 0 ? -PtraceDirect.errno() : rc;
    }

    public int lastStatus() {
        return status.getInt(0);
    }

    /** user+system CPU nanoseconds in the last rusage. */
    public long lastRusageCpuNanos() {
        long us = rusage.getLong(0) * 1_000_000_000L + rusage.getLong(8) * 1000L;
        long ss = rusage.getLong(16) * 1_000_000_000L + rusage.getLong(24) * 1000L;
        return us + ss;
    }

    /** ru_maxrss of the last rusage, in bytes. */
    public long lastRusageMaxRssBytes() {
        return rusage.getLong(32) * 1024L;
    }

    /** Writes bytes into the tracee's memory; false when the address is not writable. */
    public boolean writeMemory(int pid, long address, Pointer data, long length) {
        iov.setPointer(0, data);
        iov.setLong(8, length);
        iov.setLong(16, address);
        iov.setLong(24, length);
        long rc = PtraceDirect.process_vm_writev(pid, iov, 1, iov.share(16), 1, 0);
        return rc == length;
    }

    private Memory out = new Memory(16 * 1024);

    /** Writes {@code data} into the tracee's memory at {@code address}; false when not writable. */
    public boolean writeMemory(int pid, long address, byte[] data) {
        if (data.length > out.size()) {
            out = new Memory(Math.max(data.length, out.size() * 2));
        }
        out.write(0, data, 0, data.length);
        return writeMemory(pid, address, out, data.length);
    }

    /** Reads bytes from the tracee's memory; false when the address is not readable. */
    public boolean readMemory(int pid, long address, Pointer into, long length) {
        iov.setPointer(0, into);
        iov.setLong(8, length);
        iov.setLong(16, address);
        iov.setLong(24, length);
        long rc = PtraceDirect.process_vm_readv(pid, iov, 1, iov.share(16), 1, 0);
        return rc == length;
    }

    private Memory in = new Memory(4096);

    /** Reads {@code len} bytes of the tracee's memory at {@code address} into {@code into}; false when not readable. */
    public boolean readMemory(int pid, long address, byte[] into, int off, int len) {
        if (len > in.size()) {
            in = new Memory(Math.max(len, in.size() * 2));
        }
        if (!readMemory(pid, address, in, len)) {
            return false;
        }
        in.read(0, into, off, len);
        return true;
    }

    public static int kill(int pid, int sig) {
        return PtraceDirect.kill(pid, sig);
    }
}
