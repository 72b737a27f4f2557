package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.sentry.net.SocketFile;
import dev.palisade.sandbox.sentry.vfs.OpenFile;
import dev.palisade.sandbox.sentry.vfs.WaitQueue;

import java.nio.channels.SelectionKey;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The wait of poll, select and epoll_wait between two looks at their files. Files with a
 * {@link WaitQueue} wake it when their readiness changes; the loopback's TCP sockets are waited
 * for on its selector (which a wake-up also interrupts). A signal sent to the waiting thread wakes
 * it too. Waits are cut into slices only to notice the end of the sandbox. Each call has its own, so several threads may wait on one file at once.
 */
final class ReadyWait implements WaitQueue.Waiter {
    /** Longest single wait before looking at the sandbox's state again. */
    private static final long SLICE_MILLIS = 50, SOCKET_SLICE_MILLIS = 20;

    private final SyscallContext c;
    private final Set<WaitQueue> queues = Collections.newSetFromMap(new IdentityHashMap<>());
    private SelectionKey[] keys = new SelectionKey[4];
    private int[] interests = new int[4];
    private int waitable;
    private boolean sockets;
    private boolean pending;
    private volatile boolean selecting;

    ReadyWait(SyscallContext c) {
        this.c = c;
    }

    /** Starts a new look: a change from now on ends the next {@link #await}. */
    void reset() {
        synchronized (this) {
            pending = false;
        }
        waitable = 0;
        sockets = false;
    }

    /** Watches {@code f} for {@code events} (POLLIN, POLLOUT) during this look. */
    void add(OpenFile f, int events) {
        WaitQueue q = f.waitQueue();
        if (q != null) {
            if (queues.add(q)) {
                q.add(this);
            }
            return;
        }
        if (!(f instanceof SocketFile s)) {
            return;   // always ready: never waited for
        }
        sockets = true;
        SelectionKey k = s.waitKey();
        if (k != null) {
            if (waitable == keys.length) {
                keys = java.util.Arrays.copyOf(keys, 2 * waitable);
                interests = java.util.Arrays.copyOf(interests, 2 * waitable);
            }
            keys[waitable] = k;
            interests[waitable++] = ((events & OpenFile.POLLIN) != 0 ? SelectionKey.OP_READ : 0)
                    | ((events & OpenFile.POLLOUT) != 0 ? SelectionKey.OP_WRITE : 0);
        }
    }

    @Override
    public void wake() {
        synchronized (this) {
            pending = true;
            notifyAll();
        }
        if (selecting) {
            c.loopback().wakeup();
        }
    }

    /**
     * Waits one slice at most, until {@code until} or a change; false when the sandbox is ending
     * or a signal the calling thread does not block is pending (a signal sent to it wakes this).
     */
    boolean await(long until) {
        VirtualThread t = c.thread();
        t.blockedOn = this;   // before the look at the signals: one raised after it wakes this wait
        if (c.aborted() || t.signalDeliverable(c.process())) {
            return false;
        }
        long left = until - System.nanoTime();
        if (left <= 0) {
            return true;
        }
        if (sockets) {
            selecting = true;
            try {
                synchronized (this) {
                    if (pending) {
                        return true;
                    }
                }
                c.loopback().await(keys, interests, waitable, Math.max(1, Math.min(SOCKET_SLICE_MILLIS, (left + 999_999) / 1_000_000)));
            } finally {
                selecting = false;
            }
            return true;
        }
        synchronized (this) {
            if (!pending) {
                try {
                    wait(Math.max(1, Math.min(SLICE_MILLIS, (left + 999_999) / 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    /** Stops watching every file. */
    void close() {
        if (c.thread().blockedOn == this) {
            c.thread().blockedOn = null;
        }
        for (WaitQueue q : queues) {
            q.remove(this);
        }
        queues.clear();
    }
}
