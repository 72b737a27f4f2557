package dev.palisade.sandbox.sentry;

import java.util.HashMap;
import java.util.Map;

/**
 * What the Sentry keeps per thread of a {@link VirtualProcess} (KVM): its id, signal mask,
 * the signals sent to it alone ({@code tgkill}), the address cleared and woken when it exits
 * ({@code set_tid_address}, {@code CLONE_CHILD_CLEARTID}) and its robust list head. Only its
 * own thread changes the mask; the pending set is also written by senders, under this
 * object's monitor.
 */
public final class VirtualThread {
    public final int tid;
    volatile long sigmask;
    /** Set by rt_sigsuspend: the mask the next signal frame saves (and its return restores) instead of the current one. */
    long maskAfterSignal;
    boolean hasMaskAfterSignal;
    /** Signals sent to this thread (bit sig-1) and what each carries: si_code and value. */
    long pendingSignals;
    final Map<Integer, long[]> pendingInfo = new HashMap<>();
    /** While in rt_sigtimedwait, the mask from before it (Linux's real_blocked): what it blocks is never discarded as ignored. */
    volatile long realBlocked;
    /** Where the thread's exit writes 0 and wakes a waiter (0: nowhere). */
    public long clearChildTid;
    long robustList;
    /** How the platform makes the thread look at a signal sent to it while it runs the program (KVM: a kick out of KVM_RUN). */
    public volatile Runnable interrupter;
    /** The futex wait this thread is blocked in, to interrupt it (a signal, the process ending). */
    volatile Futexes.Waiter waiting;
    /** What wakes the thread from the other Sentry wait it is blocked in (a pipe, socket, wait4, poll), or null. */
    public volatile dev.palisade.sandbox.sentry.vfs.WaitQueue.Waiter blockedOn;
    /** The alternate signal stack (sigaltstack): base, size (0: none) and the flags it was set with; inherited by fork, gone at execve. */
    long altStackBase, altStackSize;
    int altStackFlags = SignalFrame.SS_DISABLE;

    public VirtualThread(int tid, long sigmask) {
        this.tid = tid;
        this.sigmask = sigmask;
    }

    /** Wakes this thread from whatever Sentry wait it is blocked in (a futex, a pipe, a socket, wait4, poll), to look at a signal sent to it. */
    public void interruptWait(VirtualProcess p) {
        p.futexes.interrupt(this);
        var w = blockedOn;
        if (w != null) {
            w.wake();
        }
    }

    /** The child's copy of this thread's alternate signal stack (fork: the child's memory is a copy). */
    public void inheritAltStack(VirtualThread parent) {
        altStackBase = parent.altStackBase;
        altStackSize = parent.altStackSize;
        altStackFlags = parent.altStackFlags;
    }

    /** No alternate signal stack (execve, SS_AUTODISARM while a handler runs on it). */
    public void disableAltStack() {
        altStackBase = 0;
        altStackSize = 0;
        altStackFlags = SignalFrame.SS_DISABLE;
    }

    /** Whether {@code sp} lies on the alternate stack (never while SS_AUTODISARM holds it), as Linux's on_sig_stack. */
    boolean onAltStack(long sp) {
        return (altStackFlags & SignalFrame.SS_AUTODISARM) == 0 && withinAltStack(sp);
    }

    /** Linux's __on_sig_stack, unsigned: base &lt; sp &le; base + size (a stack grows down to its base). */
    boolean withinAltStack(long sp) {
        return Long.compareUnsigned(sp, altStackBase) > 0 && Long.compareUnsigned(sp - altStackBase, altStackSize) <= 0;
    }

    /** The flags sigaltstack reports for a thread whose stack pointer is {@code sp}: SS_DISABLE, SS_ONSTACK or 0, and SS_AUTODISARM. */
    int altStackReport(long sp) {
        int state = altStackSize == 0 ? SignalFrame.SS_DISABLE : onAltStack(sp) ? SignalFrame.SS_ONSTACK : 0;
        return state | (altStackFlags & SignalFrame.SS_AUTODISARM);
    }

    /**
     * Sets the alternate stack as Linux's do_sigaltstack, for a thread whose stack pointer is
     * {@code sp}: null, or the errno — EPERM while it runs on the current one, EINVAL for unknown
     * flags, ENOMEM below MINSIGSTKSZ. The size is not bounded above (a handler whose frame
     * then cannot be written ends with SIGSEGV, as on Linux).
     */
    dev.palisade.sandbox.abi.Errno setAltStack(long base, int flags, long size, long sp) {
        if (onAltStack(sp)) {
            return dev.palisade.sandbox.abi.Errno.EPERM;
        }
        int mode = flags & ~SignalFrame.SS_AUTODISARM;
        if (mode != SignalFrame.SS_DISABLE && mode != SignalFrame.SS_ONSTACK && mode != 0) {
            return dev.palisade.sandbox.abi.Errno.EINVAL;
        }
        if (mode == SignalFrame.SS_DISABLE) {
            disableAltStack();
            return null;
        }
        if (Long.compareUnsigned(size, MINSIGSTKSZ) < 0) {
            return dev.palisade.sandbox.abi.Errno.ENOMEM;
        }
        altStackBase = base;
        altStackSize = size;
        altStackFlags = flags;
        return null;
    }

    /** x86-64's MINSIGSTKSZ, the smallest alternate stack Linux takes. */
    static final long MINSIGSTKSZ = 2048;

    public long sigmask() {
        return sigmask;
    }

    /** The signals this thread blocks, counting those rt_sigtimedwait unblocked only to wait for them. */
    public long blocked() {
        return sigmask | realBlocked;
    }

    /** Whether a signal pending for this thread or its process is not blocked by this thread's mask. */
    public boolean signalDeliverable(VirtualProcess p) {
        long pending;
        synchronized (this) {
            pending = pendingSignals;
        }
        synchronized (p) {
            pending |= p.pendingSignals;
        }
        return (pending & ~sigmask) != 0;
    }
}
