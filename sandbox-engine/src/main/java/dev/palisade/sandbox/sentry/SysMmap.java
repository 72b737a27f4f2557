package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.HostFile;
import dev.palisade.sandbox.sentry.vfs.OpenFile;

import static dev.palisade.sandbox.sentry.AddressSpace.PAGE;

/**
 * The memory map: mmap, munmap, mprotect, mremap, brk, madvise. Lengths are checked against
 * the user half before anything is walked, and the address space walks only what is mapped;
 * mapping past what the task may hold ends the sandbox (MEMORY_LIMIT) before a page is touched.
 */
final class SysMmap {
    private static final int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_SHARED_VALIDATE = 3, MAP_FIXED = 0x10,
            MAP_ANONYMOUS = 0x20, MAP_FIXED_NOREPLACE = 0x100000;
    private static final int PROT_SEM = 8, PROT_GROWS = 0x01000000 | 0x02000000;
    private static final int MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;
    /** The most brk may grow the heap by. */
    private static final long MAX_HEAP = 64L << 30;

    private SysMmap() {
    }

    private static long pageUp(long v) {
        return (v + PAGE - 1) & ~(PAGE - 1);
    }

    /** Whether a length of {@code len} bytes, rounded to pages, fits the user half at all. */
    private static boolean plausibleLength(long len) {
        return len > 0 && len <= SysArgs.TASK_SIZE_MAX;
    }

    /** Brk implements Linux syscall brk(2): the current break when the request cannot be met. */
    static long brk(SyscallContext c) {
        synchronized (c.process().memoryMap) {
            return brkLocked(c);
        }
    }

    private static long brkLocked(SyscallContext c) {
        VirtualProcess p = c.process();
        AddressSpace mem = p.mem;
        long addr = c.arg(0);
        if (addr < p.brkStart || addr - p.brkStart > MAX_HEAP) {
            return p.brk;   // also every negative or non-canonical value
        }
        long oldTop = pageUp(p.brk);
        long newTop = pageUp(addr);
        if (newTop > p.mmapCursor - (1L << 30)) {
            return p.brk;
        }
        if (newTop > oldTop) {
            if (!mem.isFree(oldTop, newTop - oldTop)) {
                return p.brk;
            }
            mem.map(oldTop, newTop - oldTop, AddressSpace.PROT_READ | AddressSpace.PROT_WRITE);
        } else if (newTop < oldTop) {
            mem.unmap(newTop, oldTop - newTop);
        }
        p.brk = addr;
        return addr;
    }

    /**
     * Mmap implements Linux syscall mmap(2): private mappings, anonymous or of a file, and shared
     * ones where the platform shares memory between processes (MAP_SHARED|MAP_ANONYMOUS, and a file
     * opened for writing; a shared mapping of a read-only descriptor is a private copy).
     */
    static long mmap(SyscallContext c) throws FsError {
        synchronized (c.process().memoryMap) {
            return mmapLocked(c);
        }
    }

    private static long mmapLocked(SyscallContext c) throws FsError {
        VirtualProcess p = c.process();
        AddressSpace mem = p.mem;
        long addr = c.arg(0), len = c.arg(1), fd = c.arg(4), off = c.arg(5);
        int prot = (int) c.arg(2), flags = (int) c.arg(3);
        // in the order Linux checks: the offset, the descriptor, the length, the mapping type
        if ((off & (PAGE - 1)) != 0) {
            return Errno.EINVAL.negated();
        }
        OpenFile file = (flags & MAP_ANONYMOUS) == 0 ? p.file(fd) : null;
        if (len == 0) {
            return Errno.EINVAL.negated();
        }
        if (!plausibleLength(len)) {
            return Errno.ENOMEM.negated();
        }
        long size = pageUp(len);
        int type = flags & MAP_SHARED_VALIDATE;
        if (type == 0 || (prot & ~(7 | PROT_GROWS)) != 0) {
            return Errno.EINVAL.negated();
        }
        if (file != null) {
            if (!(file instanceof HostFile) || !file.readable()) {
                return Errno.EACCES.negated();
            }
            if ((type & MAP_SHARED) != 0 && (prot & AddressSpace.PROT_WRITE) != 0 && !file.writable()) {
                return Errno.EACCES.negated();   // as Linux: a shared writable mapping needs a descriptor open for writing
            }
            if ((type & MAP_SHARED) != 0 && (prot & AddressSpace.PROT_WRITE) != 0 && !mem.sharesMemory()) {
                return Errno.ENODEV.negated();   // a platform that cannot share memory between processes
            }
            if (off < 0 || off > Long.MAX_VALUE - size) {
                return Errno.EOVERFLOW.negated();
            }
        }
        int pr = prot & 7;
        long at;
        boolean inUserRange = (addr & (PAGE - 1)) == 0 && addr >= mem.minUserVa() && addr <= mem.mmapTop() - size;
        if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0) {
            if (!inUserRange) {
                return (flags & MAP_FIXED) != 0 || (addr & (PAGE - 1)) != 0 ? Errno.EINVAL.negated() : Errno.ENOMEM.negated();
            }
            if ((flags & MAP_FIXED) == 0 && !mem.isFree(addr, size)) {
                return Errno.EEXIST.negated();
            }
            at = addr;
        } else if (addr != 0 && inUserRange && mem.isFree(addr, size)) {
            at = addr;
        } else {
            at = p.findFree(size);
            if (at < 0) {
                return Errno.ENOMEM.negated();
            }
        }
        if ((type & MAP_SHARED) != 0 && mem.sharesMemory() && (file == null || file.writable())) {
            // one object for every process that maps it: a file by its inode, anonymous memory by this mapping (kept by forks)
            Object key = file == null ? new Object() : sharedKey(file);
            if (!mem.mapShared(at, size, pr, key, file, file == null ? 0 : off / PAGE)) {
                return Errno.ENOMEM.negated();
            }
            p.mapped(at, size, file, off);
            return at;
        }
        mem.map(at, size, pr);
        p.mapped(at, size, file, off);
        if (file != null && pr != 0) {
            long fileLen = Math.min(len, Math.max(0, file.stat().size() - off));
            if (fileLen > 0) {
                file.pread(mem.accessible(at, (int) Math.min(fileLen, Integer.MAX_VALUE - PAGE), false), off);
            }
        }
        return at;
    }

    private record FileKey(long dev, long ino) {
    }

    private static Object sharedKey(OpenFile file) throws FsError {
        var st = file.stat();
        return new FileKey(st.dev(), st.ino());
    }

    private static final int MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4;

    /** Msync implements Linux syscall msync(2): the shared file pages of the range are written back to their files. */
    static long msync(SyscallContext c) {
        synchronized (c.process().memoryMap) {
            AddressSpace mem = c.process().mem;
            long addr = c.arg(0), len = c.arg(1);
            int flags = (int) c.arg(2);
            if ((addr & (PAGE - 1)) != 0 || (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) != 0
                    || (flags & (MS_ASYNC | MS_SYNC)) == (MS_ASYNC | MS_SYNC)) {
                return Errno.EINVAL.negated();
            }
            if (len == 0) {
                return 0;
            }
            if (!plausibleLength(len) || !SysArgs.userRange(addr, pageUp(len))) {
                return Errno.ENOMEM.negated();
            }
            return mem.sync(addr, pageUp(len)) ? 0 : Errno.ENOMEM.negated();
        }
    }

    /** Munmap implements Linux syscall munmap(2). */
    static long munmap(SyscallContext c) {
        synchronized (c.process().memoryMap) {
            return munmapLocked(c);
        }
    }

    private static long munmapLocked(SyscallContext c) {
        VirtualProcess p = c.process();
        AddressSpace mem = p.mem;
        long addr = c.arg(0), len = c.arg(1);
        if ((addr & (PAGE - 1)) != 0 || !plausibleLength(len) || !SysArgs.userRange(addr, pageUp(len))) {
            return Errno.EINVAL.negated();
        }
        long size = pageUp(len);
        if (mem.reserved(addr, size) || mem.splitsSpecial(addr, size)) {
            return Errno.EINVAL.negated();
        }
        mem.unmap(addr, size);
        p.released(addr, size);
        return 0;
    }

    /** Mprotect implements Linux syscall mprotect(2). */
    static long mprotect(SyscallContext c) {
        synchronized (c.process().memoryMap) {
            return mprotectLocked(c);
        }
    }

    private static long mprotectLocked(SyscallContext c) {
        AddressSpace mem = c.process().mem;
        long addr = c.arg(0), len = c.arg(1);
        int prot = (int) c.arg(2);
        if ((addr & (PAGE - 1)) != 0) {
            return Errno.EINVAL.negated();
        }
        if (len == 0) {
            return 0;
        }
        if (!plausibleLength(len) || !SysArgs.userRange(addr, pageUp(len))) {
            return Errno.ENOMEM.negated();
        }
        if ((prot & ~(7 | PROT_SEM | PROT_GROWS)) != 0 || mem.reserved(addr, pageUp(len)) || mem.splitsSpecial(addr, pageUp(len))) {
            return Errno.EINVAL.negated();
        }
        return mem.protect(addr, pageUp(len), prot & 7) ? 0 : Errno.ENOMEM.negated();
    }

    /** Mremap implements Linux syscall mremap(2): grow in place or move (MREMAP_MAYMOVE); no MREMAP_FIXED or MREMAP_DONTUNMAP. */
    static long mremap(SyscallContext c) {
        synchronized (c.process().memoryMap) {
            return mremapLocked(c);
        }
    }

    private static long mremapLocked(SyscallContext c) {
        VirtualProcess p = c.process();
        AddressSpace mem = p.mem;
        long old = c.arg(0), oldLen = c.arg(1), newLen = c.arg(2);
        long flags = c.arg(3);
        if ((flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) != 0 || (old & (PAGE - 1)) != 0) {
            return Errno.EINVAL.negated();
        }
        if ((flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) != 0) {
            return Errno.EINVAL.negated();   // not offered
        }
        if (!plausibleLength(newLen) || oldLen < 0 || oldLen > SysArgs.TASK_SIZE_MAX) {
            return newLen > SysArgs.TASK_SIZE_MAX ? Errno.ENOMEM.negated() : Errno.EINVAL.negated();
        }
        long os = pageUp(oldLen), ns = pageUp(newLen);
        if (!SysArgs.userRange(old, Math.max(os, PAGE)) || mem.reserved(old, Math.max(os, PAGE))) {
            return Errno.EFAULT.negated();
        }
        int prot = mem.protOf(old);
        if (prot < 0 || os / PAGE > mem.mappedPages()) {   // Linux: the old range is one mapping
            return Errno.EFAULT.negated();
        }
        if (ns <= os) {
            if (ns < os) {
                mem.unmap(old + ns, os - ns);
            }
            return old;
        }
        if (mem.isShared(old)) {
            return Errno.ENOMEM.negated();   // growing shared memory is not offered: as when it cannot grow in place
        }
        if (old + ns <= mem.mmapTop() && mem.isFree(old + os, ns - os)) {
            mem.map(old + os, ns - os, prot);
            return old;
        }
        if ((flags & MREMAP_MAYMOVE) == 0) {
            return Errno.ENOMEM.negated();
        }
        long at = p.findFree(ns);
        if (at < 0) {
            return Errno.ENOMEM.negated();
        }
        mem.map(at, ns, prot);
        mem.unmap(at, os);
        mem.move(old, at, os);
        p.released(old, os);
        return at;
    }

    /** Madvise implements Linux syscall madvise(2): advice is accepted and has no effect. */
    static long madvise(SyscallContext c) {
        long addr = c.arg(0), len = c.arg(1);
        if ((addr & (PAGE - 1)) != 0 || len < 0) {
            return Errno.EINVAL.negated();
        }
        return 0;
    }

    /*
     * Memory locking: the sandbox runs with RLIMIT_MEMLOCK 0 and no CAP_IPC_LOCK, where Linux's
     * can_do_mlock() refuses every lock with EPERM; nothing is ever locked, so unlocking succeeds.
     * The flag checks Linux makes first are kept, so a wrong call gives the same errno.
     */
    private static final int MLOCK_ONFAULT = 1, MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4;

    /** Mlock implements Linux syscall mlock(2) for a task that may lock nothing. */
    static long mlock(SyscallContext c) {
        return Errno.EPERM.negated();
    }

    /** Mlock2 implements Linux syscall mlock2(2) for a task that may lock nothing. */
    static long mlock2(SyscallContext c) {
        if (((int) c.arg(2) & ~MLOCK_ONFAULT) != 0) {
            return Errno.EINVAL.negated();
        }
        return Errno.EPERM.negated();
    }

    /** Mlockall implements Linux syscall mlockall(2) for a task that may lock nothing. */
    static long mlockall(SyscallContext c) {
        int flags = (int) c.arg(0);
        if (flags == 0 || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) != 0 || flags == MCL_ONFAULT) {
            return Errno.EINVAL.negated();
        }
        return Errno.EPERM.negated();
    }

    /**
     * Munlock implements Linux syscall munlock(2) where nothing is locked: the range, widened to
     * pages, may not wrap (EINVAL) nor end above the user half (ENOMEM: no mapping is there).
     */
    static long munlock(SyscallContext c) {
        long start = c.arg(0), len = c.arg(1);
        long span = (len + (start & (PAGE - 1)) + PAGE - 1) & ~(PAGE - 1);
        start &= ~(PAGE - 1);
        long end = start + span;
        if (Long.compareUnsigned(end, start) < 0) {
            return Errno.EINVAL.negated();
        }
        if (end != start && Long.compareUnsigned(end, SysArgs.TASK_SIZE_MAX) > 0) {
            return Errno.ENOMEM.negated();
        }
        return 0;
    }

    /** Munlockall implements Linux syscall munlockall(2) where nothing is locked. */
    static long munlockall(SyscallContext c) {
        return 0;
    }
}
