package dev.palisade.platform.service;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The bound on one service's requests in flight, whatever instance serves them. A request that
 * finds none free waits in line: a release hands its permit straight to the longest waiting
 * request, so nobody polls and the order is first come, first served. A {@link java.util.concurrent.Semaphore}
 * cannot be waited on without a thread, and the front's event loops have none to spare.
 */
public final class RequestPermits {

    private final int max;
    /** Guarded by this. */
    private int available;
    /** Guarded by this: the requests waiting, oldest first (some may have given up already). */
    private final ArrayDeque<CompletableFuture<Boolean>> waiting = new ArrayDeque<>();

    public RequestPermits(int max) {
        this.max = max;
        this.available = max;
    }

    /** A permit now, if one is free and nobody waits before this request. */
    public synchronized boolean tryAcquire() {
        if (available > 0 && waiting.isEmpty()) {
            available--;
            return true;
        }
        return false;
    }

    /**
     * A permit, now or when one is released: the future completes {@code true} with the permit,
     * or {@code false} after {@code timeoutMillis} or {@link #giveUp}. Whoever gets {@code true}
     * releases the permit once.
     */
    public CompletableFuture<Boolean> acquire(long timeoutMillis) {
        CompletableFuture<Boolean> w;
        synchronized (this) {
            if (available > 0 && waiting.isEmpty()) {
                available--;
                return CompletableFuture.completedFuture(true);
            }
            w = new CompletableFuture<>();
            waiting.add(w);
        }
        w.completeOnTimeout(false, timeoutMillis, TimeUnit.MILLISECONDS);
        w.thenAccept(granted -> {
            if (!granted) {
                forget(w);
            }
        });
        return w;
    }

    /** The thread's own wait for a permit; false when none came within {@code timeoutMillis}. */
    public boolean acquireBlocking(long timeoutMillis) throws InterruptedException {
        CompletableFuture<Boolean> w = acquire(timeoutMillis);
        try {
            return w.get();
        } catch (InterruptedException e) {
            giveUp(w);
            throw e;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The request no longer waits; a permit it was granted meanwhile is released. */
    public void giveUp(CompletableFuture<Boolean> w) {
        if (!w.complete(false) && Boolean.TRUE.equals(w.getNow(false))) {
            release();
        }
    }

    public void release() {
        while (true) {
            CompletableFuture<Boolean> next;
            synchronized (this) {
                next = waiting.poll();
                if (next == null) {
                    available++;
                    return;
                }
            }
            // outside the lock: completing runs the waiter's callbacks; one that timed out meanwhile passes it on
            if (next.complete(true)) {
                return;
            }
        }
    }

    private synchronized void forget(CompletableFuture<Boolean> w) {
        waiting.remove(w);
    }

    public synchronized int availablePermits() {
        return available;
    }

    public int max() {
        return max;
    }

    /** How many requests wait for a permit now. */
    public synchronized int waiting() {
        return waiting.size();
    }
}
