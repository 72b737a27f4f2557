package dev.palisade.sandbox.platform.kvm;

/**
 * Hands out guest physical pages: a bump pointer plus a stack of freed pages. Program pages are
 * counted against the memory limit; page-table pages come from the same pool uncounted (the
 * pool is sized with room for them). Synchronized: the threads of a process (vCPUs of one VM)
 * map and unmap at the same time.
 */
final class PhysicalAllocator {
    private final long end;
    private long next = GuestLayout.ALLOC_START_PA;
    private long[] free = new long[1024];
    private int freeCount;
    private long limitPages;
    private long userPages;
    private long peakUserPages;

    PhysicalAllocator(long physSize, long limitPages) {
        this.end = physSize;
        this.limitPages = limitPages;
    }

    /** Thrown when the program's pages would pass the memory limit. */
    static final class MemoryLimitExceeded extends dev.palisade.sandbox.sentry.OutOfTaskMemory {
        MemoryLimitExceeded(String m) {
            super(m);
        }
    }

    /** Sets the memory limit (a machine built ahead of time gets its sandbox's limit at hand-off). */
    synchronized void setLimitPages(long pages) {
        this.limitPages = pages;
    }

    synchronized long limitPages() {
        return limitPages;
    }

    long physicalSize() {
        return end;
    }

    synchronized boolean canAllocateUser(long pages) {
        return userPages + pages <= limitPages;
    }

    synchronized long allocUser() {
        if (userPages >= limitPages) {
            throw new MemoryLimitExceeded("memory limit of " + (limitPages * GuestLayout.PAGE) + " bytes reached");
        }
        long pa = alloc();
        userPages++;
        peakUserPages = Math.max(peakUserPages, userPages);
        return pa;
    }

    synchronized long allocTable() {
        return alloc();
    }

    private long alloc() {
        if (freeCount > 0) {
            return free[--freeCount];
        }
        if (next + GuestLayout.PAGE > end) {
            throw new MemoryLimitExceeded("guest physical memory exhausted");
        }
        long pa = next;
        next += GuestLayout.PAGE;
        return pa;
    }

    /** Returns a program page; the caller has already discarded its contents. */
    synchronized void freeUser(long pa) {
        if (freeCount == free.length) {
            free = java.util.Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = pa;
        userPages--;
    }

    synchronized long userPages() {
        return userPages;
    }

    synchronized long peakUserBytes() {
        return peakUserPages * GuestLayout.PAGE;
    }
}
