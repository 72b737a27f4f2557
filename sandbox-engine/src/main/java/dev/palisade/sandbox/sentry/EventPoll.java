package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.FileStat;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.OpenFile;
import dev.palisade.sandbox.sentry.vfs.WaitQueue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An epoll instance: the files it watches (keyed by descriptor number and open file, as Linux
 * keys them) with their event masks. Readiness is each file's {@link OpenFile#poll()} looked at
 * when epoll_wait looks; edge-triggered items report again only after their file's
 * {@link WaitQueue} counted a new change of a kind they watch (the loopback's TCP sockets, which
 * have none, after their readiness grew). An item goes away with the last reference to its file.
 *
 * <p>Locks: its monitor guards the items and is held while looking at the files (so it comes
 * before any file's lock); files wake it through {@link #wake()}, which only passes the change on
 * to its own wait queue (epoll_wait's {@link ReadyWait}, an outer epoll).
 */
final class EventPoll extends OpenFile implements WaitQueue.Waiter {
    static final int EPOLLIN = 1, EPOLLOUT = 4, EPOLLERR = 8, EPOLLHUP = 0x10, EPOLLRDHUP = 0x2000,
            EPOLLEXCLUSIVE = 1 << 28, EPOLLWAKEUP = 1 << 29, EPOLLONESHOT = 1 << 30, EPOLLET = 1 << 31;
    /** Linux's EP_MAX_NESTS: how deep epoll sets may hold each other. */
    static final int MAX_NESTS = 4;
    /** Files all epoll sets of a sandbox may watch (ENOSPC past it), as Linux's max_user_watches. */
    static final int MAX_WATCHES = 1 << 16;
    private static final Object NESTING = new Object();
    /** The poll bits an item may ask for. */
    private static final int POLL_BITS = 0xffff;

    private record Key(OpenFile file, int fd) {
    }

    private static final class Item {
        final OpenFile file;
        final int fd;
        int events;
        long data;
        boolean disarmed;
        /** Edge-triggered: the file's change count at the last report; its readiness then (files without a queue). */
        long reportedChanges = -1;
        int reportedReady;

        Item(OpenFile file, int fd) {
            this.file = file;
            this.fd = fd;
        }
    }

    /** One event to report, and the item's state before it was claimed (to give it back if it cannot be delivered). */
    record Event(int events, long data, Item item, long changes, long oldChanges, int oldReady) {
    }

    private final long ino;
    private final AtomicInteger watches;
    private final WaitQueue wq = new WaitQueue();
    private final Map<Key, Item> items = new HashMap<>();
    /** The sets that watch this one (changed under {@link #NESTING}, shrunk anywhere). */
    private final Set<EventPoll> parents = ConcurrentHashMap.newKeySet();
    private final List<Item> order = new ArrayList<>();
    /** Where the next look starts, so that a short events array does not starve later items. */
    private int next;

    /** {@code watches}: the sandbox's count of watched files. */
    EventPoll(long ino, AtomicInteger watches) {
        super(2);
        this.ino = ino;
        this.watches = watches;
    }

    // ------------------------------------------------------------------ epoll_ctl

    void add(int fd, OpenFile f, int events, long data) throws FsError {
        if (!(f instanceof EventPoll inner)) {
            addItem(fd, f, events, data);
            return;
        }
        // one nesting change at a time (Linux's epmutex): two sets added into each other at once would make a loop
        synchronized (NESTING) {
            if (inner.contains(this, MAX_NESTS) || heightAbove(0) + 1 + inner.depth(0) > MAX_NESTS) {
                throw new FsError(Errno.ELOOP);
            }
            addItem(fd, f, events, data);
            inner.parents.add(this);
        }
    }

    private synchronized void addItem(int fd, OpenFile f, int events, long data) throws FsError {
        Key k = new Key(f, fd);
        if (items.containsKey(k)) {
            throw new FsError(Errno.EEXIST);
        }
        if (watches.incrementAndGet() > MAX_WATCHES) {
            watches.decrementAndGet();
            throw new FsError(Errno.ENOSPC);
        }
        Item it = new Item(f, fd);
        it.events = events;
        it.data = data;
        items.put(k, it);
        order.add(it);
        WaitQueue q = f.waitQueue();
        if (q != null) {
            q.add(this);
        }
        wq.changed();
    }

    synchronized void modify(int fd, OpenFile f, int events, long data) throws FsError {
        Item it = items.get(new Key(f, fd));
        if (it == null) {
            throw new FsError(Errno.ENOENT);
        }
        if ((it.events & EPOLLEXCLUSIVE) != 0) {
            throw new FsError(Errno.EINVAL);
        }
        it.events = events;
        it.data = data;
        it.disarmed = false;
        it.reportedChanges = -1;   // Linux looks at the file again on a modify: a ready file is reported
        it.reportedReady = 0;
        wq.changed();
    }

    synchronized void delete(int fd, OpenFile f) throws FsError {
        Item it = items.remove(new Key(f, fd));
        if (it == null) {
            throw new FsError(Errno.ENOENT);
        }
        forget(it);
    }

    /** Whether {@code target} is this set or inside it within {@code depth} levels (a loop). */
    private boolean contains(EventPoll target, int depth) {
        if (this == target) {
            return true;
        }
        return depth > 0 && containsBelow(target, depth);
    }

    private synchronized boolean containsBelow(EventPoll target, int depth) {
        for (Item it : order) {
            if (it.file instanceof EventPoll e && e.contains(target, depth - 1)) {
                return true;
            }
        }
        return false;
    }

    /** How many levels of epoll sets hold this one. */
    private int heightAbove(int level) {
        int h = 0;
        if (level > MAX_NESTS) {
            return level;
        }
        for (EventPoll p : parents) {
            h = Math.max(h, 1 + p.heightAbove(level + 1));
        }
        return h;
    }

    /** How many levels of epoll sets this one holds. */
    private synchronized int depth(int level) {
        int d = 0;
        if (level > MAX_NESTS) {
            return level;
        }
        for (Item it : order) {
            if (it.file instanceof EventPoll e) {
                d = Math.max(d, 1 + e.depth(level + 1));
            }
        }
        return d;
    }

    private void forget(Item it) {
        order.remove(it);
        watches.decrementAndGet();
        if (order.stream().noneMatch(o -> o.file == it.file)) {
            WaitQueue q = it.file.waitQueue();
            if (q != null) {
                q.remove(this);
            }
            if (it.file instanceof EventPoll inner) {
                inner.parents.remove(this);
            }
        }
    }

    // ------------------------------------------------------------------ looking

    /**
     * The ready items, at most {@code max}; with {@code claim}, reported at once (an
     * edge-triggered item waits for a new change, a one-shot one is disarmed) so that two waiters
     * never both take one event. {@code wait}, when given, watches the TCP sockets among the
     * items until the next look.
     */
    synchronized List<Event> look(int max, ReadyWait wait, boolean claim) {
        List<Event> out = new ArrayList<>();
        int n = order.size();
        int start = n == 0 ? 0 : next % n;
        List<Item> gone = null;
        for (int i = 0; i < n && out.size() < max; i++) {
            Item it = order.get((start + i) % n);
            if (it.file.released()) {
                if (gone == null) {
                    gone = new ArrayList<>();
                }
                gone.add(it);
                continue;
            }
            if (it.disarmed) {
                continue;
            }
            int want = it.events & POLL_BITS;
            WaitQueue q = it.file.waitQueue();
            if (wait != null && q == null) {
                wait.add(it.file, want);   // a TCP socket: its selector key
            }
            long changes = 0;
            int ready;
            if (q == null || (it.events & EPOLLET) == 0) {
                ready = it.file.poll() & (want | EPOLLERR | EPOLLHUP);
            } else {
                // The count kept must cover exactly what poll saw (files count a change under the lock
                // their poll reads it with): a change landing during poll means looking again, else
                // an edge-triggered item would report that change a second time at the next look.
                // Past the tries the count from before poll is kept: a repeat, never a lost edge.
                long after = q.changes(kinds(want));
                int tries = 0;
                do {
                    changes = after;
                    ready = it.file.poll() & (want | EPOLLERR | EPOLLHUP);
                    after = q.changes(kinds(want));
                } while (after != changes && ++tries < 4);
            }
            if (ready == 0) {
                it.reportedReady = 0;
                continue;
            }
            if ((it.events & EPOLLET) != 0) {
                boolean seen = q != null ? changes == it.reportedChanges : (ready & ~it.reportedReady) == 0;
                if (seen) {
                    continue;
                }
            }
            Event e = new Event(ready, it.data, it, changes, it.reportedChanges, it.reportedReady);
            out.add(e);
            if (claim) {
                reported(e);
            }
            next = (start + i + 1) % n;
        }
        if (gone != null) {
            for (Item it : gone) {
                items.remove(new Key(it.file, it.fd));
                forget(it);
            }
        }
        return out;
    }

    /** The kinds of change (POLLIN, POLLOUT) an item watching {@code events} is told of; hang-ups count as both. */
    private static int kinds(int events) {
        int k = ((events & (EPOLLIN | 0x2 | 0x40 | 0x80 | EPOLLRDHUP)) != 0 ? POLLIN : 0)
                | ((events & (EPOLLOUT | 0x100 | 0x200)) != 0 ? POLLOUT : 0);
        return k == 0 ? POLLIN | POLLOUT : k;
    }

    /** Gives back an event that could not be delivered: its item is due again, as before the look. */
    synchronized void unclaim(Event e) {
        Item it = e.item();
        it.reportedChanges = e.oldChanges();
        it.reportedReady = e.oldReady();
        if ((it.events & EPOLLONESHOT) != 0) {
            it.disarmed = false;
        }
    }

    /** Records that {@code e} was reported: an edge-triggered item waits for a new change, a one-shot one is disarmed. */
    private void reported(Event e) {
        Item it = e.item();
        if ((it.events & EPOLLET) != 0) {
            it.reportedChanges = e.changes();
            it.reportedReady = e.events();
        }
        if ((it.events & EPOLLONESHOT) != 0) {
            it.disarmed = true;
        }
    }

    // ------------------------------------------------------------------ the epoll file itself

    @Override
    public void wake() {
        wq.changed(POLLIN);
    }

    @Override
    public WaitQueue waitQueue() {
        return wq;
    }

    /** An epoll set is readable when it has something to report (how poll and an outer set see it). */
    @Override
    public int poll() {
        return look(1, null, false).isEmpty() ? 0 : POLLIN;
    }

    @Override
    public FileStat stat() {
        return FileStat.synthetic(0600, 0, ino);
    }

    @Override
    protected synchronized void close() {
        for (Item it : order) {
            WaitQueue q = it.file.waitQueue();
            if (q != null) {
                q.remove(this);
            }
            if (it.file instanceof EventPoll inner) {
                inner.parents.remove(this);
            }
        }
        watches.addAndGet(-order.size());
        order.clear();
        items.clear();
    }
}
