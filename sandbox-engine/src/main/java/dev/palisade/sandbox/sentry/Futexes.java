package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The futex wait queues of one process, shared by its threads. A queue is keyed by the futex's
 * address: a fork copies private memory, so a shared futex and a private one at the same address
 * are the same word, as they are for Linux's private anonymous memory. Memory shared between
 * processes has one more instance for the whole sandbox ({@link AddressSpace#sharedFutexes()}),
 * keyed by where the word lies in the shared memory, the same in every process that maps it.
 *
 * <p>One lock guards every queue. A waiter reads the word and joins the queue under it, and a
 * waker takes it after the store it wakes for, so a wake-up is never lost; each waiter sleeps
 * on a condition of its own and is signalled by the waker (no polling). The wait wakes up
 * every {@link #SLICE_NANOS} only to look at whether the sandbox or the process is ending.
 */
public final class Futexes {
    private static final long SLICE_NANOS = 50_000_000L;

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Long, ArrayDeque<Waiter>> queues = new HashMap<>();

    /** A thread blocked in a wait. */
    static final class Waiter {
        final Futexes owner;
        long addr;
        final int bitset;
        final Condition cond;
        boolean woken;
        boolean interrupted;

        Waiter(Futexes owner, long addr, int bitset, Condition cond) {
            this.owner = owner;
            this.addr = addr;
            this.bitset = bitset;
            this.cond = cond;
        }
    }

    /**
     * Blocks {@code t} while the word at {@code addr} holds {@code expected}, until woken (0), the
     * deadline passes (ETIMEDOUT; {@code deadline} is on {@link System#nanoTime}'s scale,
     * {@link Long#MAX_VALUE} for none), or it is interrupted (EINTR, ERESTARTSYS without a deadline). EAGAIN when the word differs;
     * an unreadable word is a {@link BadAddress} (EFAULT).
     */
    long await(SyscallContext c, VirtualThread t, long addr, int expected, int bitset, long deadline) {
        return await(c, t, addr, addr, expected, bitset, deadline);
    }

    /** As above, queued under {@code key} (the word's place in shared memory) rather than its address. */
    long await(SyscallContext c, VirtualThread t, long addr, long key, int expected, int bitset, long deadline) {
        lock.lock();
        try {
            if (c.memory().readInt(addr) != expected) {
                return Errno.EAGAIN.negated();
            }
            Waiter w = new Waiter(this, key, bitset, lock.newCondition());
            queues.computeIfAbsent(key, k -> new ArrayDeque<>()).addLast(w);
            t.waiting = w;
            try {
                while (!w.woken) {
                    if (w.interrupted || c.aborted() || t.signalDeliverable(c.process())) {
                        remove(w);
                        // as Linux's futex_wait: restartable (SA_RESTART) without a timeout, EINTR with one
                        return deadline == Long.MAX_VALUE ? Errno.ERESTARTSYS.negated() : Errno.EINTR.negated();
                    }
                    long left = deadline == Long.MAX_VALUE ? SLICE_NANOS : deadline - System.nanoTime();
                    if (left <= 0) {
                        remove(w);
                        return Errno.ETIMEDOUT.negated();
                    }
                    w.cond.awaitNanos(Math.min(left, SLICE_NANOS));
                }
                return 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                remove(w);
                return Errno.EINTR.negated();
            } finally {
                t.waiting = null;
            }
        } finally {
            lock.unlock();
        }
    }

    private void remove(Waiter w) {
        ArrayDeque<Waiter> q = queues.get(w.addr);
        if (q != null) {
            q.remove(w);
            if (q.isEmpty()) {
                queues.remove(w.addr);
            }
        }
    }

    /**
     * Wakes waiters on {@code addr} whose bitset meets {@code bitset}, in the order they came; as
     * Linux, at least one when any is there (a count of 0 or less wakes one). The number woken.
     */
    long wake(long addr, int count, int bitset) {
        lock.lock();
        try {
            return wakeLocked(addr, count, bitset);
        } finally {
            lock.unlock();
        }
    }

    private int wakeLocked(long addr, int count, int bitset) {
        ArrayDeque<Waiter> q = queues.get(addr);
        if (q == null) {
            return 0;
        }
        int n = 0;
        for (Iterator<Waiter> it = q.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if ((w.bitset & bitset) == 0) {
                continue;
            }
            it.remove();
            w.woken = true;
            w.cond.signal();
            if (++n >= count) {
                break;
            }
        }
        if (q.isEmpty()) {
            queues.remove(addr);
        }
        return n;
    }

    /**
     * Wakes up to {@code wake} waiters on {@code addr} and moves up to {@code requeue} of the rest
     * to {@code addr2}; with {@code compare}, first EAGAIN unless the word at {@code addr} holds
     * {@code expected}. The number woken plus the number moved, as Linux's FUTEX_CMP_REQUEUE.
     */
    long requeue(SyscallContext c, long addr, long addr2, int wake, int requeue, boolean compare, int expected) {
        return requeue(c, addr, addr, addr2, wake, requeue, compare, expected);
    }

    /** As above, with the queues keyed by {@code key} and {@code addr2} (the words' places in shared memory). */
    long requeue(SyscallContext c, long addrRead, long addr, long addr2, int wake, int requeue, boolean compare, int expected) {
        lock.lock();
        try {
            if (compare && c.memory().readInt(addrRead) != expected) {
                return Errno.EAGAIN.negated();
            }
            long n = wake > 0 ? wakeLocked(addr, wake, -1) : 0;   // unlike FUTEX_WAKE, 0 here wakes nobody
            ArrayDeque<Waiter> q = queues.get(addr);
            int moved = 0;
            if (q != null && addr2 != addr) {
                ArrayDeque<Waiter> to = queues.computeIfAbsent(addr2, k -> new ArrayDeque<>());
                while (moved < requeue && !q.isEmpty()) {
                    Waiter w = q.pollFirst();
                    w.addr = addr2;
                    to.addLast(w);
                    moved++;
                }
                if (q.isEmpty()) {
                    queues.remove(addr);
                }
                if (to.isEmpty()) {
                    queues.remove(addr2);
                }
            } else if (q != null) {
                moved = Math.min(requeue, q.size());   // onto its own queue: counted, nothing moves
            }
            return n + moved;
        } finally {
            lock.unlock();
        }
    }

    /** Ends {@code t}'s wait, if it is in one, with EINTR (a signal for it, or its process ending). */
    public void interrupt(VirtualThread t) {
        Waiter seen = t.waiting;
        if (seen != null && seen.owner != this) {
            seen.owner.interrupt(t);   // waiting in the sandbox's shared queues: their lock guards the condition
            return;
        }
        lock.lock();
        try {
            Waiter w = t.waiting;
            if (w != null && w.owner == this) {
                w.interrupted = true;
                w.cond.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    private static final int FUTEX_WAITERS = 0x8000_0000, FUTEX_OWNER_DIED = 0x4000_0000, FUTEX_TID_MASK = 0x3fff_ffff;
    /** Entries of a robust list walked at most, as Linux's ROBUST_LIST_LIMIT: a cyclic list ends too. */
    private static final int ROBUST_LIST_LIMIT = 2048;
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * A thread is exiting: every robust mutex it still holds (its {@code set_robust_list} list,
     * and the one it was taking or releasing) is marked FUTEX_OWNER_DIED and one waiter is woken,
     * so the next locker gets EOWNERDEAD instead of waiting forever — Linux's
     * exit_robust_list. The list is the program's memory: a bad pointer ends the walk, and the
     * walk stops after {@link #ROBUST_LIST_LIMIT} entries.
     */
    void releaseRobustList(SyscallContext c, VirtualThread t) {
        long head = t.robustList;
        if (head == 0) {
            return;
        }
        TaskMemory mem = c.memory();
        try {
            long entry = mem.readLong(head);
            long offset = mem.readLong(head + 8);
            long pending = mem.readLong(head + 16);
            boolean pendingPi = (pending & 1) != 0;
            pending &= ~1L;
            for (int n = 0; (entry & ~1L) != head && n < ROBUST_LIST_LIMIT; n++) {
                boolean pi = (entry & 1) != 0;
                entry &= ~1L;
                long next;
                try {
                    next = mem.readLong(entry);
                } catch (BadAddress e) {
                    next = head;   // as Linux: this entry is still handled, then the walk ends
                }
                if (entry != pending) {
                    ownerDied(c, entry + offset, t.tid, pi, false);
                }
                entry = next;
            }
            if (pending != 0) {
                ownerDied(c, pending + offset, t.tid, pendingPi, true);
            }
        } catch (BadAddress e) {
            // an unreadable head: nothing to walk
        }
    }

    /** Wakes one waiter of a dead owner's mutex: in the sandbox's shared queues when the word is in shared memory. */
    private void wakeDead(SyscallContext c, long uaddr) {
        long key = c.process().mem.sharedFutexKey(uaddr);
        if (key >= 0) {
            c.process().mem.sharedFutexes().wake(key, 1, -1);
        } else {
            wake(uaddr, 1, -1);
        }
    }

    /** Linux's handle_futex_death for the word at {@code uaddr}. */
    private void ownerDied(SyscallContext c, long uaddr, int tid, boolean pi, boolean pendingOp) {
        if ((uaddr & 3) != 0) {
            return;
        }
        for (int tries = 0; tries < 100; tries++) {
            int val;
            try {
                val = c.memory().readInt(uaddr);
            } catch (BadAddress e) {
                return;
            }
            if (pendingOp && !pi && val == 0) {
                wakeDead(c, uaddr);
                return;
            }
            if ((val & FUTEX_TID_MASK) != tid) {
                return;
            }
            int mark = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
            ByteBuffer[] b = c.memory().accessible(uaddr, 4, true);
            if (b.length == 0 || b[0].remaining() < 4 || !b[0].isDirect()) {
                return;   // not writable: as Linux after a failed fault-in
            }
            // other threads may be changing the word: the mark goes in only over the value read
            if (INT.compareAndSet(b[0], b[0].position(), val, mark)) {
                if (!pi && (val & FUTEX_WAITERS) != 0) {
                    wakeDead(c, uaddr);
                }
                return;
            }
        }
    }
}
