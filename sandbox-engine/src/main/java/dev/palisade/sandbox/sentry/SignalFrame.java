package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.Termination;
import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.Signal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Signal delivery where the Sentry keeps the process: the x86-64 {@code rt_sigframe} Linux
 * builds on the user stack (return address = {@code sa_restorer}, {@code ucontext} with the
 * registers, the old mask and a pointer to the XSAVE image, then {@code siginfo}), the handler
 * entered with rdi/rsi/rdx, and {@code rt_sigreturn} reading it back.
 *
 * <p>The frame is the program's own memory, so everything read back is hostile: the return
 * address must be a canonical user address, rflags keeps only the status flags (never IOPL, TF,
 * NT), the segments are not taken from it at all (the task stays in ring 3), SIGKILL and SIGSTOP
 * cannot be masked, and an XSAVE image with reserved bits, a compacted format or features the
 * machine lacks is refused and resets the FPU instead, as Linux does. A frame that cannot be read
 * or returns to a non-user address ends the task with SIGSEGV, as Linux's {@code badframe}.
 */
public final class SignalFrame {
    static final long SA_SIGINFO = 4, SA_RESTORER = 0x04000000L, SA_ONSTACK = 0x08000000L, SA_RESTART = 0x10000000L,
            SA_NODEFER = 0x40000000L, SA_RESETHAND = 0x80000000L;
    /** stack_t flags (sigaltstack). */
    static final int SS_ONSTACK = 1, SS_DISABLE = 2, SS_AUTODISARM = 1 << 31;
    static final long SIG_DFL = 0, SIG_IGN = 1;
    /** si_code values. */
    public static final int SI_USER = 0, SI_TKILL = -6, SEGV_MAPERR = 1, SEGV_ACCERR = 2;
    private static final int UC_FP_XSTATE = 1;
    private static final int FP_XSTATE_MAGIC1 = 0x46505853, FP_XSTATE_MAGIC2 = 0x46505845;
    private static final int FXSAVE_SIZE = 512, XSAVE_HEADER = 512;

    // rt_sigframe: pretcode, ucontext (flags, link, stack_t, sigcontext, sigmask), siginfo
    private static final int UC = 8, UC_STACK = UC + 16, MCONTEXT = UC + 40, UC_SIGMASK = MCONTEXT + 256, INFO = UC_SIGMASK + 8;
    private static final int FRAME_SIZE = INFO + 128;
    /** kvm_regs index of each sigcontext slot r8..r15 rdi rsi rbp rbx rdx rax rcx rsp rip eflags. */
    private static final int[] SIGCONTEXT_ORDER = {8, 9, 10, 11, 12, 13, 14, 15, 5, 4, 7, 1, 3, 0, 2, 6, 16, 17};
    private static final int RSP = 6, RIP = 16, RFLAGS = 17, RDI = 5, RSI = 4, RDX = 3, RAX = 0;
    /** Flags a frame may set: CF PF AF ZF SF DF OF AC ID (as GuestLayout's syscall return allows). */
    private static final long RFLAGS_USER = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800 | 0x40000 | 0x200000;
    private static final long MXCSR_RESERVED = 0xffff_0000L;
    /** XSAVE features a frame may carry: x87, SSE, AVX, AVX-512 and PKRU (KVM refuses any the CPU lacks). */
    private static final long XFEATURES = 0x2e7;

    private SignalFrame() {
    }

    /** Raises {@code sig} for the process: pending until delivered, with its si_code and value. */
    static void raise(VirtualProcess p, int sig, int code, long value) {
        synchronized (p) {
            p.pendingSignals |= 1L << (sig - 1);
            p.pendingInfo.put(sig, new long[] {code, value});
        }
    }

    /** Raises {@code sig} for one thread only (tgkill): pending until that thread takes it. */
    static void raise(VirtualThread t, int sig, int code, long value) {
        synchronized (t) {
            t.pendingSignals |= 1L << (sig - 1);
            t.pendingInfo.put(sig, new long[] {code, value});
        }
    }

    /** Takes the lowest pending signal {@code t} does not block, its own before its process's: {sig, code, value}, or null. */
    private static long[] take(VirtualProcess p, VirtualThread t) {
        return take(p, t, ~t.sigmask);
    }

    /** Takes the lowest pending signal of {@code set} (rt_sigtimedwait's, blocked or not): {sig, code, value}, or null. */
    static long[] take(VirtualProcess p, VirtualThread t, long set) {
        synchronized (t) {
            long ready = t.pendingSignals & set;
            if (ready != 0) {
                int sig = Long.numberOfTrailingZeros(ready) + 1;
                t.pendingSignals &= ~(1L << (sig - 1));
                long[] info = t.pendingInfo.remove(sig);
                return info == null ? new long[] {sig, SI_USER, 0} : new long[] {sig, info[0], info[1]};
            }
        }
        synchronized (p) {
            long ready = p.pendingSignals & set;
            if (ready == 0) {
                return null;
            }
            int sig = Long.numberOfTrailingZeros(ready) + 1;
            p.pendingSignals &= ~(1L << (sig - 1));
            long[] info = p.pendingInfo.remove(sig);
            return info == null ? new long[] {sig, SI_USER, 0} : new long[] {sig, info[0], info[1]};
        }
    }

    /**
     * A write to a pipe or socket whose reading end is gone failed with EPIPE: raises SIGPIPE
     * as Linux does (delivered, or ending the program by default, before the call returns).
     */
    public static void brokenPipe(SyscallContext c) {
        VirtualProcess p = c.process();
        if (!p.ignores(Signal.SIGPIPE)) {
            raise(c.thread(), Signal.SIGPIPE, SI_USER, 0);   // as Linux: for the writing thread
        }
    }

    /**
     * Sends {@code sig} to another process of the sandbox, or raises it for one from outside any
     * call (SIGCHLD): pending there unless ignored, and a thread of it that does not block it is
     * woken or kicked to take it (its handler, or the default action ending it).
     */
    public static void send(VirtualProcess p, int sig, int code) {
        send(p, sig, code, 0);
    }

    /** As {@link #send(VirtualProcess, int, int)}, carrying {@code value} (the sender's pid for SI_USER). */
    static void send(VirtualProcess p, int sig, int code, long value) {
        if (p.ignores(sig) || (Signal.ignoredByDefault(sig) && !handled(p, sig))) {
            return;
        }
        raise(p, sig, code, value);
        wake(p, sig);
    }

    private static void wake(VirtualProcess p, int sig) {
        p.wakeSleepers();
        java.util.function.IntConsumer waker = p.signalWaker;
        if (waker != null) {
            waker.accept(sig);
        }
    }

    /** SIGCHLD's si_code: the child exited, was killed, or dumped core (bit 0x80 of the wait status). */
    static final int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;
    private static final long SA_NOCLDWAIT = 2;

    /** The si_code of a child's end from its wait status. */
    static int childCode(int status) {
        return (status & 0x7f) == 0 ? CLD_EXITED : (status & 0x80) != 0 ? CLD_DUMPED : CLD_KILLED;
    }

    /** The si_status of a child's end from its wait status: the exit code, or the signal. */
    static int childStatus(int status) {
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : status & 0x7f;
    }

    /**
     * Child {@code pid} of {@code parent} ended with wait status {@code status}: SIGCHLD with
     * si_pid and si_status unless the parent ignores it (its default action ignores it too, but a
     * parent whose first thread blocks it, per {@code leaderMask}, gets it pending for sigtimedwait).
     * Returns whether the child reaps itself (SIGCHLD set to SIG_IGN, or SA_NOCLDWAIT), as Linux's
     * do_notify_parent.
     */
    public static boolean childEnded(VirtualProcess parent, long leaderMask, int pid, int status) {
        long[] a = parent.sigactions.get(Signal.SIGCHLD);
        boolean ignored = a != null && a[0] == SIG_IGN;
        if (!ignored && (handled(parent, Signal.SIGCHLD) || (leaderMask & (1L << (Signal.SIGCHLD - 1))) != 0)) {
            raise(parent, Signal.SIGCHLD, childCode(status), (pid & 0xffffffffL) | ((long) childStatus(status) << 32));
            wake(parent, Signal.SIGCHLD);
        }
        return ignored || (a != null && (a[1] & SA_NOCLDWAIT) != 0);
    }

    /** Whether the program has a handler (not default, not ignore) for {@code sig}. */
    static boolean handled(VirtualProcess p, int sig) {
        long[] a = p.sigactions.get(sig);
        return a != null && a[0] != SIG_DFL && a[0] != SIG_IGN;
    }

    /**
     * Delivers the lowest pending signal that is not blocked, on the registers the task resumes
     * with. Returns true when {@code regs} now enter a handler; false when nothing is to run (the
     * signal was ignored, or its default action ended the sandbox through {@link SyscallContext#end}).
     */
    public static boolean deliverPending(SyscallContext c, long[] regs) {
        return deliverPending(c, regs, -1, 0);
    }

    /**
     * As {@link #deliverPending(SyscallContext, long[])} as system call {@code nr} returns with
     * {@code regs} (rax its result). A call a signal interrupted (ERESTARTSYS, ERESTARTNOHAND)
     * ends with EINTR when a handler runs, or is made again — rax = {@code nr}, rip =
     * {@code restartRip}, where the call's instruction is — after the handler when it has
     * SA_RESTART and the call said ERESTARTSYS, and at once when no handler runs (another thread
     * took the signal, or it is ignored now), as Linux's handle_signal and do_signal.
     */
    public static boolean deliverPending(SyscallContext c, long[] regs, long nr, long restartRip) {
        VirtualProcess p = c.process();
        long[] next;
        while ((next = take(p, c.thread())) != null) {
            int sig = (int) next[0];
            long[] info = {next[1], next[2]};
            if (handled(p, sig)) {
                if (nr >= 0 && interrupted(regs[RAX])) {
                    long flags = p.sigactions.get(sig)[1];
                    if (regs[RAX] == Errno.ERESTARTSYS.negated() && (flags & SA_RESTART) != 0) {
                        regs[RAX] = nr;
                        regs[RIP] = restartRip;
                    } else {
                        regs[RAX] = Errno.EINTR.negated();
                    }
                }
                return enter(c, regs, sig, (int) info[0], info[1]);
            }
            if (!p.ignores(sig) && !Signal.ignoredByDefault(sig)) {
                c.end(Termination.SIGNALED, -1, sig, "killed by signal " + sig + " (sent by the program to itself)");
                return false;
            }
        }
        if (nr >= 0 && interrupted(regs[RAX])) {
            regs[RAX] = nr;
            regs[RIP] = restartRip;
        }
        return false;
    }

    /** Whether a call's result says a signal interrupted it (never shown to the program as such). */
    public static boolean interrupted(long result) {
        return result == Errno.ERESTARTSYS.negated() || result == Errno.ERESTARTNOHAND.negated();
    }

    /**
     * A fault (SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGTRAP) at the registers {@code regs}: true when
     * the program's handler will run; false when the fault ends the task (no handler, or the signal
     * is blocked, as Linux's force_sig does).
     */
    public static boolean deliverFault(SyscallContext c, long[] regs, int sig, int code, long address) {
        VirtualProcess p = c.process();
        if (!handled(p, sig) || (c.thread().sigmask & (1L << (sig - 1))) != 0) {
            return false;
        }
        return enter(c, regs, sig, code, address);
    }

    /** Builds the frame below the interrupted stack and points {@code regs} at the handler. */
    private static boolean enter(SyscallContext c, long[] regs, int sig, int code, long value) {
        VirtualProcess p = c.process();
        long[] act = p.sigactions.get(sig);
        long handler = act[0], flags = act[1], restorer = act[2], mask = act[3];
        if ((flags & SA_RESTORER) == 0) {
            c.end(Termination.SIGNALED, -1, Signal.SIGSEGV, "SIGSEGV: handler of signal " + sig + " has no sa_restorer");
            return false;
        }
        byte[] fpu = c.fpuState();
        VirtualThread t = c.thread();
        boolean nested = t.onAltStack(regs[RSP]);
        long sp = regs[RSP] - 128;                       // the red zone
        boolean entering = false;
        if ((flags & SA_ONSTACK) != 0 && t.altStackSize != 0 && !t.onAltStack(sp)) {
            sp = t.altStackBase + t.altStackSize;         // as Linux's get_sigframe: the top of the alternate stack
            entering = true;
        }
        long fpstate = (sp - fpu.length - 4) & ~63L;      // XSAVE image (+ MAGIC2), 64-byte aligned
        long frame = ((fpstate - FRAME_SIZE) & ~15L) - 8; // as after a call: rsp+8 is 16-byte aligned
        if ((nested || entering) && !t.withinAltStack(frame)) {
            c.end(Termination.SIGNALED, -1, Signal.SIGSEGV, String.format(
                    "SIGSEGV: the frame of signal %d overflows the alternate signal stack at 0x%x", sig, t.altStackBase));
            return false;
        }
        ByteBuffer f = ByteBuffer.allocate(FRAME_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        f.putLong(0, restorer);
        f.putLong(UC, UC_FP_XSTATE);
        f.putLong(UC_STACK, t.altStackBase);              // the alternate stack as it was, which rt_sigreturn restores
        f.putInt(UC_STACK + 8, t.altStackSize == 0 ? SS_DISABLE : t.altStackFlags);
        f.putLong(UC_STACK + 16, t.altStackSize);
        for (int i = 0; i < SIGCONTEXT_ORDER.length; i++) {
            f.putLong(MCONTEXT + 8 * i, regs[SIGCONTEXT_ORDER[i]]);
        }
        f.putShort(MCONTEXT + 144, (short) 0x2b);        // cs
        f.putShort(MCONTEXT + 150, (short) 0x23);        // ss
        f.putLong(MCONTEXT + 168, sig == Signal.SIGSEGV ? 14 : 0);   // trapno
        long saved = t.hasMaskAfterSignal ? t.maskAfterSignal : t.sigmask;
        t.hasMaskAfterSignal = false;
        f.putLong(MCONTEXT + 176, saved);                 // oldmask
        f.putLong(MCONTEXT + 184, code > 0 ? value : 0);  // cr2
        f.putLong(MCONTEXT + 192, fpstate);
        f.putLong(UC_SIGMASK, saved);
        f.put(INFO, siginfo(c, sig, code, value));
        ByteBuffer x = ByteBuffer.wrap(fpu.clone()).order(ByteOrder.LITTLE_ENDIAN);
        x.putInt(464, FP_XSTATE_MAGIC1);                  // sw_reserved: the image is a full XSAVE one
        x.putInt(468, fpu.length + 4);
        x.putLong(472, x.getLong(XSAVE_HEADER));
        x.putInt(480, fpu.length);
        try {
            c.memory().write(fpstate, x.array());
            c.memory().writeInt(fpstate + fpu.length, FP_XSTATE_MAGIC2);
            c.memory().write(frame, f.array());
        } catch (BadAddress e) {
            c.end(Termination.SIGNALED, -1, Signal.SIGSEGV, String.format(
                    "SIGSEGV: no room for the frame of signal %d on the stack at 0x%x", sig, regs[RSP]));
            return false;
        }
        long keep = ~((1L << (Signal.SIGKILL - 1)) | (1L << (Signal.SIGSTOP - 1)));
        t.sigmask |= (mask | ((flags & SA_NODEFER) != 0 ? 0 : 1L << (sig - 1))) & keep;
        if ((flags & SA_RESETHAND) != 0) {
            p.sigactions.remove(sig);
        }
        if ((t.altStackFlags & SS_AUTODISARM) != 0) {
            t.disableAltStack();   // until the handler's rt_sigreturn restores it from the frame
        }
        regs[RSP] = frame;
        regs[RIP] = handler;
        regs[RDI] = sig;
        regs[RSI] = frame + INFO;
        regs[RDX] = frame + UC;
        regs[RAX] = 0;
        regs[RFLAGS] &= ~(0x400L | 0x100 | 0x10000 | 0x40000);   // DF TF RF AC cleared, as Linux does
        return true;
    }

    /**
     * The 128-byte siginfo of a signal taken by {@code c}: si_addr for a fault; si_pid, si_uid and
     * si_status for SIGCHLD ({@code value}: the child's pid, its status in the high half); si_pid
     * (the sender's, {@code value}, else the caller's own) and si_uid for kill and tgkill.
     */
    static byte[] siginfo(SyscallContext c, int sig, int code, long value) {
        ByteBuffer b = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, sig);
        b.putInt(8, code);
        if (sig == Signal.SIGCHLD && code >= CLD_EXITED && code <= CLD_DUMPED) {
            b.putInt(16, (int) value);
            b.putInt(20, c.uid());
            b.putInt(24, (int) (value >>> 32));
        } else if (code > 0) {
            b.putLong(16, value);                         // si_addr
        } else {
            b.putInt(16, value != 0 ? (int) value : c.pid());
            b.putInt(20, c.uid());
        }
        return b.array();
    }

    /**
     * Rt_sigreturn implements Linux syscall rt_sigreturn(2): the registers, mask and FPU state of
     * the frame at rsp-8 (where the handler's {@code ret} into sa_restorer left it), checked.
     */
    static long sigreturn(SyscallContext c) {
        long[] regs = c.userRegisters();
        long frame = regs[RSP] - 8;
        VirtualProcess p = c.process();
        long[] restored = regs.clone();
        long mask, fpstate;
        long[] altStack;
        try {
            ByteBuffer f = ByteBuffer.wrap(c.memory().read(frame, FRAME_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < SIGCONTEXT_ORDER.length; i++) {
                restored[SIGCONTEXT_ORDER[i]] = f.getLong(MCONTEXT + 8 * i);
            }
            mask = f.getLong(UC_SIGMASK);
            fpstate = f.getLong(MCONTEXT + 192);
            altStack = new long[] {f.getLong(UC_STACK), f.getInt(UC_STACK + 8), f.getLong(UC_STACK + 16)};
        } catch (BadAddress e) {
            return badFrame(c, "unreadable signal frame at 0x" + Long.toHexString(frame));
        }
        long rip = restored[RIP];
        if (rip < 0 || rip >= SysArgs.TASK_SIZE_MAX) {
            return badFrame(c, "signal frame returns to a non-user address 0x" + Long.toHexString(rip));
        }
        // as Linux: an FPU state that cannot be read or is invalid resets the FPU, the return goes on
        byte[] image = fpstate == 0 ? initialFpuState(c) : fpuImage(c, fpstate);
        if (image == null || !c.restoreFpuState(image)) {
            c.restoreFpuState(initialFpuState(c));
        }
        c.thread().setAltStack(altStack[0], (int) altStack[1], altStack[2], regs[RSP]);   // as Linux: its errors are ignored here
        restored[RFLAGS] = (restored[RFLAGS] & RFLAGS_USER) | 0x202;
        long keep = ~((1L << (Signal.SIGKILL - 1)) | (1L << (Signal.SIGSTOP - 1)));
        c.thread().sigmask = mask & keep;
        c.resumeWith(restored);
        return restored[RAX];
    }

    /** The FPU as at exec: x87 control word 0x37f, MXCSR 0x1f80, every XSAVE component in its initial state. */
    private static byte[] initialFpuState(SyscallContext c) {
        byte[] image = new byte[c.fpuState().length];
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) 0x37f).putInt(24, 0x1f80);
        return image;
    }

    /**
     * The XSAVE image a frame points at, checked; null when unreadable or invalid. A legacy
     * 512-byte FXSAVE area (no MAGIC1) is laid over the current image.
     */
    private static byte[] fpuImage(SyscallContext c, long fpstate) {
        try {
            return (fpstate & 15) != 0 ? null : checkedFpuImage(c, fpstate);
        } catch (BadAddress e) {
            return null;
        }
    }

    private static byte[] checkedFpuImage(SyscallContext c, long fpstate) {
        byte[] current = c.fpuState();
        ByteBuffer legacy = ByteBuffer.wrap(c.memory().read(fpstate, FXSAVE_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] image;
        if (legacy.getInt(464) == FP_XSTATE_MAGIC1) {
            int size = legacy.getInt(480);
            if (size != current.length || legacy.getInt(468) != size + 4
                    || c.memory().readInt(fpstate + size) != FP_XSTATE_MAGIC2) {
                return null;
            }
            image = c.memory().read(fpstate, size);
        } else {
            image = current.clone();
            System.arraycopy(legacy.array(), 0, image, 0, FXSAVE_SIZE);
            ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putLong(XSAVE_HEADER, 3 | ByteBuffer.wrap(current)
                    .order(ByteOrder.LITTLE_ENDIAN).getLong(XSAVE_HEADER));
        }
        ByteBuffer x = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        java.util.Arrays.fill(image, 464, FXSAVE_SIZE, (byte) 0);   // sw_reserved is ours, not the CPU's
        if ((x.getInt(24) & MXCSR_RESERVED) != 0 || x.getLong(XSAVE_HEADER + 8) != 0
                || (x.getLong(XSAVE_HEADER) & ~XFEATURES) != 0) {
            return null;
        }
        for (int i = XSAVE_HEADER + 16; i < XSAVE_HEADER + 64; i++) {
            if (image[i] != 0) {
                return null;
            }
        }
        return image;
    }

    private static long badFrame(SyscallContext c, String why) {
        c.end(Termination.SIGNALED, -1, Signal.SIGSEGV, "SIGSEGV: " + why + " (rt_sigreturn)");
        return 0;
    }
}
