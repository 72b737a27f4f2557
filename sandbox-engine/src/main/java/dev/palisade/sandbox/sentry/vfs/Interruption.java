package dev.palisade.sandbox.sentry.vfs;

/**
 * What a blocked call looks at while it waits in the Sentry (Linux's {@code signal_pending} and
 * the wake-up that goes with it): whether the calling thread must stop waiting — its sandbox or
 * process is ending, or a signal it does not block is pending for it — and, while it waits, what a
 * signal sent to it wakes, so that a pipe, socket or wait4 is interrupted at once rather than at
 * the end of a wait slice. One object serves every thread that blocks on a file: it answers for
 * the calling one.
 */
public interface Interruption {
    /** Never interrupted: for code that is not a sandboxed thread. */
    Interruption NEVER = new Interruption() {
        @Override
        public boolean interrupted() {
            return false;
        }

        @Override
        public void blockedOn(WaitQueue.Waiter w) {
        }
    };

    /** Whether the calling thread must stop waiting now. */
    boolean interrupted();

    /** The calling thread waits until {@code w} is woken (null: it no longer waits); a signal sent to it wakes {@code w}. */
    void blockedOn(WaitQueue.Waiter w);

    /**
     * Waits on {@code monitor}, whose lock the caller holds, at most {@code millis}: until a
     * notify, or at once when a signal is sent to the calling thread. False, without waiting,
     * when the thread must stop waiting ({@link #interrupted()}).
     */
    default boolean await(Object monitor, long millis) throws InterruptedException {
        // registered before the look, under the monitor: a signal raised after the look finds the waiter and notifies it
        blockedOn(() -> {
            synchronized (monitor) {
                monitor.notifyAll();
            }
        });
        try {
            if (interrupted()) {
                return false;
            }
            monitor.wait(millis);
            return true;
        } finally {
            blockedOn(null);
        }
    }
}
