package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Signal;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A process's ITIMER_REAL (setitimer, alarm): when it expires the process gets SIGALRM, raised
 * as a kernel signal and taken by a thread that does not block it, and it is armed again by its
 * interval. One daemon thread fires the timers of every sandbox in the engine.
 */
final class IntervalTimer {
    private static final ScheduledThreadPoolExecutor FIRING = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "palisade-itimers");
        t.setDaemon(true);
        return t;
    });

    static {
        FIRING.setRemoveOnCancelPolicy(true);   // a disarmed timer does not keep its process until its deadline
    }

    /**
     * The shortest interval kept: one thread fires every sandbox's timers, so a program asking
     * for a microsecond must not make it spin for all of them (Linux charges that to the kernel).
     */
    static final long MIN_INTERVAL_NANOS = 1_000_000;
    /** si_code of a signal the kernel raises (SI_KERNEL). */
    private static final int SI_KERNEL = 0x80;

    /** The process it signals: execve hands the timer to the new image's process, as Linux keeps ITIMER_REAL. */
    private VirtualProcess process;
    private long deadlineNanos, intervalNanos;
    private ScheduledFuture<?> pending;

    IntervalTimer(VirtualProcess process) {
        this.process = process;
    }

    /** {remaining, interval} in nanoseconds; remaining 0 when disarmed. */
    synchronized long[] get() {
        if (pending == null) {
            return new long[] {0, intervalNanos};
        }
        return new long[] {Math.max(1, deadlineNanos - System.nanoTime()), intervalNanos};
    }

    /** Arms it to expire in {@code valueNanos} (0 disarms), then every {@code intervalNanos}; returns what {@link #get} gave before. */
    synchronized long[] set(long valueNanos, long intervalNanos) {
        long[] old = get();
        disarm();
        this.intervalNanos = valueNanos == 0 || intervalNanos == 0 ? 0 : Math.max(MIN_INTERVAL_NANOS, intervalNanos);
        if (valueNanos > 0) {
            schedule(valueNanos);
        }
        return old;
    }

    synchronized void disarm() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
        intervalNanos = 0;
    }

    private void schedule(long inNanos) {
        deadlineNanos = System.nanoTime() + inNanos;
        pending = FIRING.schedule(this::expire, inNanos, TimeUnit.NANOSECONDS);
    }

    /** The timer now signals {@code p} (the process after execve). */
    synchronized void moveTo(VirtualProcess p) {
        process = p;
    }

    private void expire() {
        VirtualProcess process;
        synchronized (this) {
            pending = null;
            if (intervalNanos > 0) {
                schedule(intervalNanos);
            }
            process = this.process;
        }
        SignalFrame.raise(process, Signal.SIGALRM, SI_KERNEL, 0);
        process.wakeSleepers();
        java.util.function.IntConsumer waker = process.signalWaker;
        if (waker != null) {
            waker.accept(Signal.SIGALRM);
        }
    }
}
