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
    /** Where the thread's exit writes 0 and wakes a waiter (0: nowhere). */
    public long clearChildTid;
    long robustList;
    /** How the platform makes the thread look at a signal sent to it while it runs the program (KVM: a kick out of KVM_RUN). */
    public volatile Runnable interrupter;
    /** The futex wait this thread is blocked in, to interrupt it (a signal, the process ending). */
    volatile Futexes.Waiter waiting;

    public VirtualThread(int tid, long sigmask) {
        this.tid = tid;
        this.sigmask = sigmask;
    }

    public long sigmask() {
        return sigmask;
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
