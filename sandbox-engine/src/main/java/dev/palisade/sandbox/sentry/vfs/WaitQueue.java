package dev.palisade.sandbox.sentry.vfs;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Who waits for a file's readiness to change (poll, select, epoll), as Linux's wait queue head.
 * A file calls {@link #changed()} whenever something a waiter could care about happens (data
 * arrived, space freed, the peer went away); the change counter lets edge-triggered epoll tell a
 * new event from one it has already reported. A file counts a change after making it and before
 * letting go of the lock its {@link OpenFile#poll()} reads that state under, so that a count read
 * before and after a poll that saw the change includes it (epoll pairs the two that way).
 *
 * <p>{@link Waiter#wake()} is called with the file's own locks held: a waiter must not block or
 * take a lock that is held while calling {@link OpenFile#poll()}.
 */
public final class WaitQueue {
    /** Something blocked in poll, select or epoll_wait. */
    public interface Waiter {
        void wake();
    }

    private final CopyOnWriteArrayList<Waiter> waiters = new CopyOnWriteArrayList<>();
    private final AtomicLong inChanges = new AtomicLong(), outChanges = new AtomicLong();

    public void add(Waiter w) {
        waiters.addIfAbsent(w);
    }

    public void remove(Waiter w) {
        waiters.remove(w);
    }

    /**
     * How many changes of the kinds in {@code events} there have been: input (POLLIN) and output
     * (POLLOUT) are counted apart, as Linux's wake-ups carry a mask, so that freed space does not
     * look like new data to an edge-triggered reader.
     */
    public long changes(int events) {
        return ((events & OpenFile.POLLIN) != 0 ? inChanges.get() : 0) + ((events & OpenFile.POLLOUT) != 0 ? outChanges.get() : 0);
    }

    /** Counts a change of both kinds (an end closed, a hang-up) and wakes every waiter. */
    public void changed() {
        changed(OpenFile.POLLIN | OpenFile.POLLOUT);
    }

    /** Counts a change of the kinds in {@code events} (POLLIN, POLLOUT) and wakes every waiter. */
    public void changed(int events) {
        if ((events & OpenFile.POLLIN) != 0) {
            inChanges.incrementAndGet();
        }
        if ((events & OpenFile.POLLOUT) != 0) {
            outChanges.incrementAndGet();
        }
        for (Waiter w : waiters) {
            w.wake();
        }
    }
}
