package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.nativeinterop.HostMemory;
import dev.palisade.sandbox.sentry.Futexes;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.OpenFile;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import static dev.palisade.sandbox.platform.kvm.GuestLayout.PAGE;

/**
 * The memory a sandbox's processes share (MAP_SHARED): one host mapping, registered in every VM
 * of the sandbox that maps some of it as memory slot 2, whose pages are handed out to shared
 * objects — a file (by host inode) or one MAP_SHARED|MAP_ANONYMOUS mapping and the forks that
 * inherit it. Each process's page tables point at the same pool pages, so a store in one VM is
 * seen at once by the others. A page lives while some process maps it; when the last mapping of
 * a file's page goes, its bytes are written back to the file (up to the file's size) if the page
 * was written, and the page is freed. Only written pages go back, so a mapping someone only reads
 * never overwrites what write(2) put in the file since.
 *
 * <p>The pool holds at most the sandbox's memory limit, as host memory mapped lazily
 * (MAP_NORESERVE): a mapping that would pass it is refused with ENOMEM before a page is taken.
 * Shared futexes of the sandbox's processes queue here, keyed by the pool offset of the word,
 * which is the same for every process that maps it.
 */
final class SharedPool {
    private final long capacityPages;
    private HostMemory host;
    private long next;
    private long[] free = new long[64];
    private int freeCount;
    private long used;
    /** Pool offset → how many page-table entries (over all processes) point at it. */
    private final Map<Long, Integer> refs = new HashMap<>();
    /** Pool offset → its object and page index, for write-back when the last mapping goes. */
    private final Map<Long, Segment> ownerOf = new HashMap<>();
    private final Map<Long, Long> indexOf = new HashMap<>();
    private final Map<Object, Segment> segments = new HashMap<>();
    /** Pool offsets written since they were filled or last written back (a guest PTE's dirty bit, or a store by the Sentry). */
    private final java.util.Set<Long> dirty = new java.util.HashSet<>();
    /** Address spaces holding the pool; the host mapping goes when the last lets go. */
    private int users;
    final Futexes futexes = new Futexes();

    /** One shared object: its pages by page index in the object (a file's offset / 4096). */
    private static final class Segment {
        final Object key;
        /** The file written back to, held open while any page is mapped; null for anonymous memory. */
        final OpenFile file;
        final TreeMap<Long, Long> pages = new TreeMap<>();

        Segment(Object key, OpenFile file) {
            this.key = key;
            this.file = file;
        }
    }

    SharedPool(long capacityPages) {
        this.capacityPages = capacityPages;
    }

    synchronized void attached() {
        users++;
    }

    /** An address space let go of the pool (its pages already unreferenced). */
    synchronized void detached() {
        if (--users <= 0 && host != null) {
            host.close();
            host = null;
        }
    }

    /** The host mapping, made on first use. */
    synchronized HostMemory host() {
        if (host == null) {
            host = HostMemory.anonymous(capacityPages * PAGE);
        }
        return host;
    }

    long capacityBytes() {
        return capacityPages * PAGE;
    }

    /**
     * Whether {@code n} pages of object {@code key} from page {@code first} on fit in the pool
     * (those the object already has cost nothing).
     */
    synchronized boolean fits(Object key, long first, long n) {
        if (n > capacityPages) {
            return false;
        }
        Segment s = segments.get(key);
        long present = s == null ? 0 : s.pages.subMap(first, true, first + n - 1, true).size();
        return used + n - present <= capacityPages;
    }

    /**
     * One more mapping of page {@code index} of object {@code key}: its pool offset, the page made
     * (zeroed, or read from {@code file}) if the object had none. The caller checked {@link #fits}.
     */
    synchronized long ref(Object key, OpenFile file, long index) {
        Segment s = segments.get(key);
        if (s == null) {
            if (file != null) {
                file.retain();
            }
            s = new Segment(key, file);
            segments.put(key, s);
        }
        Long off = s.pages.get(index);
        if (off == null) {
            off = alloc();
            if (file != null) {
                try {
                    file.pread(new ByteBuffer[] {host().buffer(off, (int) PAGE)}, index * PAGE);
                } catch (FsError e) {
                    // an unreadable page stays zero, as a hole
                }
            }
            s.pages.put(index, off);
            ownerOf.put(off, s);
            indexOf.put(off, index);
        }
        refs.merge(off, 1, Integer::sum);
        return off;
    }

    /** One more mapping of a page already in the pool (a fork, an mremap). */
    synchronized void ref(long off) {
        refs.merge(off, 1, Integer::sum);
    }

    /**
     * One mapping of the page at {@code off} went. KVM is made to forget the page (so the VM that
     * unmapped it cannot keep using a cached translation); the last mapping writes a file's page
     * back and frees it.
     */
    synchronized void unref(long off) {
        Integer r = refs.get(off);
        if (r == null) {
            return;
        }
        if (r > 1) {
            refs.put(off, r - 1);
            host.forget(off, PAGE);
            return;
        }
        refs.remove(off);
        Segment s = ownerOf.remove(off);
        long index = indexOf.remove(off);
        writeBack(s, index, off);
        dirty.remove(off);
        s.pages.remove(index);
        host.discard(off, PAGE);
        if (freeCount == free.length) {
            free = java.util.Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = off;
        used--;
        if (s.pages.isEmpty()) {
            segments.remove(s.key);
            if (s.file != null) {
                s.file.release();
            }
        }
    }

    /** The page at {@code off} was written. */
    synchronized void dirty(long off) {
        if (ownerOf.containsKey(off)) {
            dirty.add(off);
        }
    }

    /** Writes the page at {@code off} back to its file, if it has one and was written (msync, and the last munmap). */
    synchronized void sync(long off) {
        Segment s = ownerOf.get(off);
        if (s != null) {
            writeBack(s, indexOf.get(off), off);
        }
    }

    /** Only the part of the page inside the file's current size: a mapping never grows its file. */
    private void writeBack(Segment s, long index, long off) {
        if (s.file == null || !dirty.remove(off)) {
            return;
        }
        try {
            long size = s.file.stat().size();
            long n = Math.min(PAGE, size - index * PAGE);
            if (n > 0) {
                s.file.pwrite(new ByteBuffer[] {host.buffer(off, (int) n)}, index * PAGE);
            }
        } catch (FsError e) {
            // as a failed writeback of a dirty page: the data is lost, the program goes on
        }
    }

    private long alloc() {
        host();
        used++;
        if (freeCount > 0) {
            return free[--freeCount];
        }
        long off = next;
        next += PAGE;
        return off;
    }

    synchronized long usedPages() {
        return used;
    }
}
