package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.nativeinterop.HostMemory;

import dev.palisade.sandbox.sentry.AddressSpace;
import dev.palisade.sandbox.sentry.BadAddress;
import dev.palisade.sandbox.sentry.TaskStopped;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

import static dev.palisade.sandbox.platform.kvm.GuestLayout.PAGE;

/**
 * The guest's memory as the Sentry sees it: guest RAM (one host mapping registered as memory
 * slot 0), the 4-level page tables Java builds in it, and bounds-checked access by guest
 * virtual address. A Java map mirrors every user page (virtual page → physical page and
 * protection), so translation never trusts anything the guest can write; page tables live in
 * pages the guest cannot map.
 *
 * <p>kvm_pvm caches guest translations (shadow paging) and does not notice when the host edits a
 * present PTE. Every change that removes or narrows a mapping therefore also moves or discards
 * the physical page (MADV_DONTNEED), which makes KVM drop its cached translation; editing a
 * not-present PTE into a present one needs nothing.
 *
 * <p>The threads of a process are vCPUs of one VM sharing this object, so every method that reads
 * or changes the page map or the page tables holds this object's monitor: two threads' mmap and
 * munmap cannot interleave their table edits, and a translation never sees a half-made change.
 * Copies into and out of guest pages happen outside it, page by page, as on Linux a copy races
 * with another thread's munmap (the process's own memory is all it can reach).
 *
 * <p>The map is ordered, so that every operation on a range costs what is mapped there, never the
 * size of the range a program names.
 */
final class GuestMemory implements AddressSpace {

    private static final long PTE_P = 1, PTE_RW = 2, PTE_US = 4, PTE_D = 0x40, PTE_NX = 1L << 63;
    private static final long ADDR_MASK = 0x000f_ffff_ffff_f000L;

    /** A guest address the Sentry was asked to use is not mapped (or not with the access needed). */
    static final class Fault extends BadAddress {
        Fault(long address) {
            super(address);
        }
    }

    /** Pages a walk goes through between two looks at {@link #stop()}. */
    private static final int STOP_CHECK_PAGES = 1 << 14;

    private final HostMemory ram;
    private final PhysicalAllocator phys;
    private volatile boolean stopping;
    /** vpn → (physical address | prot); physical 0 means "not backed yet" (PROT_NONE). */
    private final NavigableMap<Long, Long> pages = new TreeMap<>();

    GuestMemory(HostMemory ram, PhysicalAllocator phys) {
        this.ram = ram;
        this.phys = phys;
    }

    // ------------------------------------------------------------------ shared memory (SharedPool)

    /** Guest-physical address where the sandbox's shared pool appears (memory slot 2); above all of guest RAM. */
    private long sharedBase = Long.MAX_VALUE;
    /** Registers the pool's host mapping as this VM's slot 2 (set by the machine). */
    private java.util.function.Consumer<HostMemory> sharedSlot;
    private SharedPool pool;
    /** The pool's host mapping once this VM has the slot; pages at or above {@link #sharedBase} are read through it. */
    private HostMemory sharedHost;

    /** Where this VM can place the shared pool and how it registers it (the machine's part). */
    void sharedSlot(long base, java.util.function.Consumer<HostMemory> register) {
        this.sharedBase = base;
        this.sharedSlot = register;
    }

    /** Joins the sandbox's shared pool (once; threads of the process attach the same memory again). */
    synchronized void useShared(SharedPool p) {
        if (pool == null && sharedSlot != null) {
            pool = p;
            p.attached();
        }
    }

    private void ensureSlot() {
        if (sharedHost == null) {
            HostMemory h = pool.host();
            sharedSlot.accept(h);
            sharedHost = h;
        }
    }

    private HostMemory hostOf(long pa) {
        return pa >= sharedBase ? sharedHost : ram;
    }

    private long offIn(long pa) {
        return pa >= sharedBase ? pa - sharedBase : pa;
    }

    private boolean shared(long pa) {
        return pa >= sharedBase;
    }

    /** The host mapping to store into at {@code pa}: a store by the Sentry into shared memory marks the page written. */
    private HostMemory storeTo(long pa) {
        if (pa >= sharedBase) {
            pool.dirty(pa - sharedBase);
            return sharedHost;
        }
        return ram;
    }

    @Override
    public boolean sharesMemory() {
        return pool != null;
    }

    /**
     * Maps [va, va+len) to pages {@code pgoff}… of the shared object {@code key} (a file's inode,
     * or a fresh object for MAP_SHARED|MAP_ANONYMOUS), filled from {@code file} when the pool does
     * not hold them yet. False (ENOMEM) when they would pass the pool's bound; nothing changes then.
     */
    @Override
    public synchronized boolean mapShared(long va, long len, int prot, Object key, dev.palisade.sandbox.sentry.vfs.OpenFile file, long pgoff) {
        long n = len / PAGE;
        if (pool == null || pgoff < 0 || pgoff > Long.MAX_VALUE / PAGE - n) {
            return false;
        }
        if (pages.size() + n > phys.limitPages() + RESERVATION_PAGES) {
            throw new PhysicalAllocator.MemoryLimitExceeded("address space limit reached mapping " + len + " bytes");
        }
        synchronized (pool) {
            if (!pool.fits(key, pgoff, n)) {
                return false;
            }
            unmap(va, len);
            ensureSlot();
            long step = 0;
            for (long i = 0; i < n; i++) {
                checkStop(step++);
                long pa = sharedBase + pool.ref(key, file, pgoff + i);
                pages.put((va >>> 12) + i, pa | prot);
                ram.putLong(pteSlot(va + i * PAGE), pteFor(pa, prot));
            }
        }
        return true;
    }

    /** Writes the shared file pages of [va, va+len) back to their files; false if a page there is not mapped (ENOMEM). */
    @Override
    public synchronized boolean sync(long va, long len) {
        if (len / PAGE > pages.size()) {
            return false;
        }
        long step = 0;
        for (long p = va; p < va + len; p += PAGE) {
            checkStop(step++);
            if (!pages.containsKey(p >>> 12)) {
                return false;
            }
        }
        for (var en : range(va, len).entrySet()) {
            long pa = en.getValue() & ~0xfffL;
            if (pa != 0 && shared(pa)) {
                long slot = pteSlot(en.getKey() << 12);
                long pte = ram.getLong(slot);
                if ((pte & PTE_D) != 0) {
                    // clean again in this process: the next store sets the bit anew (KVM forgets its cached entry)
                    ram.putLong(slot, pte & ~PTE_D);
                    sharedHost.forget(pa - sharedBase, PAGE);
                    pool.dirty(pa - sharedBase);
                }
                pool.sync(pa - sharedBase);
            }
        }
        return true;
    }

    @Override
    public synchronized boolean isShared(long va) {
        Long e = pages.get(va >>> 12);
        return e != null && shared(e & ~0xfffL);
    }

    /** The word's place in the shared pool (the same in every process mapping it), or -1 if it is private memory. */
    @Override
    public synchronized long sharedFutexKey(long va) {
        Long e = pages.get(va >>> 12);
        if (e == null || !shared(e & ~0xfffL)) {
            return -1;
        }
        return (e & ~0xfffL) - sharedBase + (va & 0xfff);
    }

    @Override
    public dev.palisade.sandbox.sentry.Futexes sharedFutexes() {
        return pool == null ? null : pool.futexes;
    }

    /** The process is gone (exit or exec): its shared pages are let go (written back when last), and the pool. */
    synchronized void releaseShared() {
        if (pool == null) {
            return;
        }
        for (var en : pages.entrySet()) {
            long pa = en.getValue() & ~0xfffL;
            if (pa != 0 && shared(pa)) {
                if ((ram.getLong(pteSlot(en.getKey() << 12)) & PTE_D) != 0) {
                    pool.dirty(pa - sharedBase);
                }
                pool.unref(pa - sharedBase);
            }
        }
        pages.values().removeIf(e -> shared(e & ~0xfffL));
        pool.detached();
        pool = null;
        sharedHost = null;
    }

    /** A byte of guest-physical memory (a page {@link #physicalOrMinusOne} gave). */
    byte physicalByte(long pa) {
        return hostOf(pa).getByte(offIn(pa));
    }

    /** Makes every walk still running or yet to come throw {@link TaskStopped} (called from the watchdog's thread). */
    void stop() {
        stopping = true;
    }

    private void checkStop(long step) {
        if ((step & (STOP_CHECK_PAGES - 1)) == 0 && stopping) {
            throw new TaskStopped();
        }
    }

    HostMemory ram() {
        return ram;
    }

    PhysicalAllocator allocator() {
        return phys;
    }

    // ------------------------------------------------------------------ page tables

    private long tableEntry(long tablePa, int index, boolean create) {
        long slot = tablePa + 8L * index;
        long e = ram.getLong(slot);
        if ((e & PTE_P) == 0) {
            if (!create) {
                return 0;
            }
            long t = phys.allocTable();
            ram.zero(t, PAGE);
            e = t | PTE_P | PTE_RW | PTE_US;
            ram.putLong(slot, e);
        }
        return e & ADDR_MASK;
    }

    /** Physical address of the PTE slot for {@code va}, creating intermediate tables. */
    private long pteSlot(long va) {
        long pdpt = tableEntry(GuestLayout.PML4_PA, (int) ((va >>> 39) & 511), true);
        long pd = tableEntry(pdpt, (int) ((va >>> 30) & 511), true);
        long pt = tableEntry(pd, (int) ((va >>> 21) & 511), true);
        return pt + 8L * ((va >>> 12) & 511);
    }

    /** Maps one page for the system (supervisor or user) with raw PTE flags. */
    synchronized void mapRaw(long va, long pa, boolean user, boolean write, boolean exec) {
        long e = pa | PTE_P | (write ? PTE_RW : 0) | (user ? PTE_US : 0) | (exec ? 0 : PTE_NX);
        ram.putLong(pteSlot(va), e);
    }

    private static long pteFor(long pa, int prot) {
        if ((prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == 0 || pa == 0) {
            return 0;
        }
        return pa | PTE_P | PTE_US | ((prot & PROT_WRITE) != 0 ? PTE_RW : 0) | ((prot & PROT_EXEC) != 0 ? 0 : PTE_NX);
    }

    // ------------------------------------------------------------------ user mappings

    @Override
    public synchronized boolean isMapped(long va) {
        return pages.containsKey(va >>> 12);
    }

    /** The map's entries for the pages of [va, va+len), in order (a view). */
    private NavigableMap<Long, Long> range(long va, long len) {
        if (len <= 0) {
            return new TreeMap<>();
        }
        long first = va >>> 12;
        long last = (va + len - 1) >>> 12;
        if (last < first) {   // wrapped past the top of the address space
            last = -1L >>> 12;
        }
        return pages.subMap(first, true, last, true);
    }

    @Override
    public synchronized boolean isFree(long va, long len) {
        return range(va, len).isEmpty();
    }

    @Override
    public synchronized long highestMappedBelow(long top, long floor) {
        Long k = pages.lowerKey(top >>> 12);
        return k != null && k >= floor >>> 12 ? k << 12 : -1;
    }

    @Override
    public synchronized long lowestMappedFrom(long from, long top) {
        Long k = pages.ceilingKey(from >>> 12);
        return k != null && k < top >>> 12 ? k << 12 : -1;
    }

    @Override
    public synchronized long mappedPages() {
        return pages.size();
    }

    @Override
    public long userBytes() {
        return phys.userPages() * PAGE;
    }

    @Override
    public long peakUserBytes() {
        return phys.peakUserBytes();
    }

    @Override
    public long minUserVa() {
        return GuestLayout.MIN_USER_VA;
    }

    @Override
    public long mmapTop() {
        return GuestLayout.MMAP_TOP;
    }

    /** The engine's own area between the mmap top and the stack (read-ahead windows and their table). */
    @Override
    public synchronized boolean reserved(long va, long len) {
        long end = va + len;
        return end > GuestLayout.MMAP_TOP && va < GuestLayout.STACK_TOP - GuestLayout.STACK_SIZE;
    }

    @Override
    public synchronized long stackSize() {
        return GuestLayout.STACK_SIZE;
    }

    /** The vDSO's range while it is whole, else -1: Linux never splits it. */
    private long special = -1, specialLen;

    synchronized void markSpecial(long va, long len) {
        special = va;
        specialLen = len;
    }

    @Override
    public synchronized boolean splitsSpecial(long va, long len) {
        long end = va + len, specialEnd = special + specialLen;
        return special >= 0 && va < specialEnd && end > special && (va > special || end < specialEnd);
    }

    /** Pages of address space (mapped or reserved) one program may hold beyond its memory limit: 4 GiB. */
    static final long RESERVATION_PAGES = 1L << 20;

    /** Maps fresh zeroed pages over [va, va+len) (page-aligned); existing pages there are unmapped first. */
    @Override
    public synchronized void map(long va, long len, int prot) {
        if (pages.size() + len / PAGE > phys.limitPages() + RESERVATION_PAGES) {
            throw new PhysicalAllocator.MemoryLimitExceeded("address space limit reached mapping " + len + " bytes");
        }
        unmap(va, len);
        long accessible = (prot & 7) != 0 ? len / PAGE : 0;
        if (!phys.canAllocateUser(accessible)) {
            throw new PhysicalAllocator.MemoryLimitExceeded("memory limit reached mapping " + len + " bytes");
        }
        long step = 0;
        for (long p = va; p < va + len; p += PAGE) {
            checkStop(step++);
            long pa = (prot & 7) != 0 ? phys.allocUser() : 0;
            pages.put(p >>> 12, pa | prot);
            ram.putLong(pteSlot(p), pteFor(pa, prot));
        }
    }

    /**
     * Makes this (fresh) address space a copy of {@code parent}'s user pages, same addresses,
     * same protection, contents copied: a forked process's memory. Counted against this
     * allocator's limit like any mapping.
     */
    synchronized void copyFrom(GuestMemory parent) {
        synchronized (parent) {   // the parent's other threads may map and unmap while it is copied
            copyFromLocked(parent);
        }
    }

    private void copyFromLocked(GuestMemory parent) {
        if (!phys.canAllocateUser(parent.pages.size())) {
            throw new PhysicalAllocator.MemoryLimitExceeded("memory limit reached copying " + parent.pages.size() + " pages");
        }
        byte[] buf = new byte[(int) PAGE];
        long step = 0;
        special = parent.special;
        specialLen = parent.specialLen;
        for (var e : parent.pages.entrySet()) {
            checkStop(step++);
            long va = e.getKey() << 12;
            int prot = (int) (e.getValue() & 7);
            long from = e.getValue() & ~0xfffL;
            if (from != 0 && parent.shared(from)) {
                // the same pool page: the child shares it (MAP_SHARED survives fork)
                useShared(parent.pool);
                ensureSlot();
                parent.pool.ref(from - parent.sharedBase);
                long pa = sharedBase + (from - parent.sharedBase);
                Long old = pages.put(e.getKey(), pa | prot);
                if (old != null && (old & ~0xfffL) != 0 && !shared(old & ~0xfffL)) {
                    phys.freeUser(old & ~0xfffL);
                }
                ram.putLong(pteSlot(va), pteFor(pa, prot));
                continue;
            }
            long pa = from != 0 ? phys.allocUser() : 0;
            if (pa != 0) {
                parent.ram.read(from, buf, 0, buf.length);
                ram.write(pa, buf, 0, buf.length);
            }
            Long old = pages.put(e.getKey(), pa | prot);
            if (old != null && (old & ~0xfffL) != 0) {
                phys.freeUser(old & ~0xfffL);
            }
            ram.putLong(pteSlot(va), pteFor(pa, prot));
        }
    }

    @Override
    public synchronized void unmap(long va, long len) {
        if (special >= 0 && va < special + specialLen && va + len > special) {
            special = -1;   // gone (or replaced by a fixed mapping): an ordinary range from now on
        }
        NavigableMap<Long, Long> r = range(va, len);
        if (r.isEmpty()) {
            return;
        }
        // keys first: a TreeMap reuses entry objects while it removes, so entries cannot be held across removals
        long step = 0;
        for (Long vpn : new ArrayList<>(r.keySet())) {
            checkStop(step++);
            long e = pages.remove(vpn);
            long slot = pteSlot(vpn << 12);
            long pte = ram.getLong(slot);
            ram.putLong(slot, 0);
            long pa = e & ~0xfffL;
            if (pa != 0 && shared(pa)) {
                if ((pte & PTE_D) != 0) {
                    pool.dirty(pa - sharedBase);
                }
                pool.unref(pa - sharedBase);
            } else if (pa != 0) {
                ram.discard(pa, PAGE);
                phys.freeUser(pa);
            }
        }
    }

    /** Changes protection; returns false if some page of the range is not mapped (ENOMEM). */
    @Override
    public synchronized boolean protect(long va, long len, int prot) {
        if (len / PAGE > pages.size()) {
            return false;   // more pages than are mapped at all: some page of the range is not
        }
        long step = 0;
        for (long p = va; p < va + len; p += PAGE) {
            checkStop(step++);
            if (!pages.containsKey(p >>> 12)) {
                return false;
            }
        }
        for (long p = va; p < va + len; p += PAGE) {
            checkStop(step++);
            long e = pages.get(p >>> 12);
            int old = (int) (e & 7);
            long pa = e & ~0xfffL;
            if (old == prot) {
                continue;
            }
            if (pa != 0 && shared(pa)) {
                if ((ram.getLong(pteSlot(p)) & PTE_D) != 0) {
                    pool.dirty(pa - sharedBase);   // the new entry starts clean
                }
                pages.put(p >>> 12, pa | prot);
                ram.putLong(pteSlot(p), pteFor(pa, prot));
                if ((old & ~prot) != 0) {
                    sharedHost.forget(pa - sharedBase, PAGE);   // narrowed: every VM drops its translation, the page stays shared
                }
                continue;
            } else if (pa == 0 && (prot & 7) != 0) {
                pa = phys.allocUser();
            } else if (pa != 0 && (old & ~prot) != 0) {
                // narrowing a present mapping: move the contents to a fresh page so that KVM drops its cached translation
                long fresh = phys.allocUser();
                byte[] buf = new byte[(int) PAGE];
                ram.read(pa, buf, 0, buf.length);
                ram.write(fresh, buf, 0, buf.length);
                ram.discard(pa, PAGE);
                phys.freeUser(pa);
                pa = fresh;
            }
            pages.put(p >>> 12, pa | prot);
            ram.putLong(pteSlot(p), pteFor(pa, prot));
        }
        return true;
    }

    /** Moves the pages of [from, from+len) to [to, to+len) (both free of each other); used by mremap. */
    @Override
    public synchronized void move(long from, long to, long len) {
        List<Long> moving = new ArrayList<>(range(from, len).keySet());
        long step = 0;
        for (Long vpn : moving) {
            checkStop(step++);
            long e = pages.get(vpn);
            long off = (vpn << 12) - from;
            int prot = (int) (e & 7);
            long oldPa = e & ~0xfffL;
            long pa = 0;
            if (oldPa != 0 && shared(oldPa)) {
                pa = oldPa;
                pool.ref(oldPa - sharedBase);   // the unmap of the old range below lets go of the old entry
            } else if (oldPa != 0) {
                pa = phys.allocUser();
                byte[] buf = new byte[(int) PAGE];
                ram.read(oldPa, buf, 0, buf.length);
                ram.write(pa, buf, 0, buf.length);
            }
            pages.put((to + off) >>> 12, pa | prot);
            ram.putLong(pteSlot(to + off), pteFor(pa, prot));
        }
        unmap(from, len);
    }

    @Override
    public synchronized int protOf(long va) {
        Long e = pages.get(va >>> 12);
        return e == null ? -1 : (int) (e & 7);
    }

    /** Physical address of {@code va} if mapped with at least {@code need} protection bits. */
    synchronized long translate(long va, int need) {
        Long e = pages.get(va >>> 12);
        if (e == null || (e & need) != need || (e & ~0xfffL) == 0) {
            throw new Fault(va);
        }
        return (e & ~0xfffL) | (va & 0xfff);
    }

    /** Physical address of {@code va} if mapped at all; -1 if not (for fault reports). */
    synchronized long physicalOrMinusOne(long va) {
        Long e = pages.get(va >>> 12);
        return e == null || (e & ~0xfffL) == 0 ? -1 : (e & ~0xfffL) | (va & 0xfff);
    }

    // ------------------------------------------------------------------ copying

    @Override
    public void read(long va, byte[] dst, int off, int len) {
        while (len > 0) {
            int n = (int) Math.min(len, PAGE - (va & 0xfff));
            long pa = translate(va, PROT_READ);
            hostOf(pa).read(offIn(pa), dst, off, n);
            va += n;
            off += n;
            len -= n;
        }
    }

    @Override
    public byte[] read(long va, int len) {
        if (len < 0) {
            throw new Fault(va);   // never an allocation sized by a negative count
        }
        byte[] b = new byte[len];
        read(va, b, 0, len);
        return b;
    }

    @Override
    public void write(long va, byte[] src, int off, int len) {
        while (len > 0) {
            int n = (int) Math.min(len, PAGE - (va & 0xfff));
            long pa = translate(va, PROT_WRITE);
            storeTo(pa).write(offIn(pa), src, off, n);
            va += n;
            off += n;
            len -= n;
        }
    }

    @Override
    public void write(long va, byte[] src) {
        write(va, src, 0, src.length);
    }

    /** Writes without the guest's write permission (loading read-only ELF segments). */
    void writeInitial(long va, byte[] src, int off, int len) {
        while (len > 0) {
            int n = (int) Math.min(len, PAGE - (va & 0xfff));
            long pa = translate(va, 0);
            hostOf(pa).write(offIn(pa), src, off, n);
            va += n;
            off += n;
            len -= n;
        }
    }

    @Override
    public long readLong(long va) {
        if ((va & 0xfff) <= PAGE - 8) {
            long pa = translate(va, PROT_READ);
            return hostOf(pa).getLong(offIn(pa));
        }
        byte[] b = read(va, 8);
        return ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Override
    public int readInt(long va) {
        if ((va & 0xfff) <= PAGE - 4) {
            long pa = translate(va, PROT_READ);
            return hostOf(pa).getInt(offIn(pa));
        }
        byte[] b = read(va, 4);
        return ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
    }

    @Override
    public void writeLong(long va, long v) {
        if ((va & 0xfff) <= PAGE - 8) {
            long pa = translate(va, PROT_WRITE);
            storeTo(pa).putLong(offIn(pa), v);
            return;
        }
        write(va, ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    @Override
    public void writeInt(long va, int v) {
        write(va, ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    void zero(long va, long len) {
        while (len > 0) {
            int n = (int) Math.min(len, PAGE - (va & 0xfff));
            long pa = translate(va, PROT_WRITE);
            storeTo(pa).zero(offIn(pa), n);
            va += n;
            len -= n;
        }
    }

    /** A NUL-terminated string of at most {@code max} bytes; ENAMETOOLONG is the caller's business. */
    @Override
    public String readCString(long va, int max) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < max; i++) {
            long pa = translate(va + i, PROT_READ);
            int chunk = (int) Math.min(max - i, PAGE - ((va + i) & 0xfff));
            for (int k = 0; k < chunk; k++) {
                byte b = hostOf(pa).getByte(offIn(pa) + k);
                if (b == 0) {
                    return out.toString(StandardCharsets.UTF_8);
                }
                out.write(b);
            }
            i += chunk - 1;
        }
        return null;
    }

    @Override
    public synchronized ByteBuffer[] accessible(long va, int len, boolean intoTask) {
        int need = intoTask ? PROT_WRITE : PROT_READ;
        int n = 0;
        long step = 0;
        while (n < len) {
            checkStop(step++);
            long p = va + n;
            Long e = pages.get(p >>> 12);
            if (e == null || (e & need) != need || (e & ~0xfffL) == 0) {
                break;
            }
            n += (int) Math.min(len - n, PAGE - (p & 0xfff));
        }
        return n == 0 ? new ByteBuffer[0] : buffers(va, n, need);
    }

    /** Direct buffers covering [va, va+len), one per physical run, for channel I/O. */
    ByteBuffer[] buffers(long va, int len, boolean forWrite) {
        return buffers(va, len, forWrite ? PROT_WRITE : PROT_READ);
    }

    /** Like {@link #buffers(long, int, boolean)} with an explicit protection need (0: any mapped page). */
    synchronized ByteBuffer[] buffers(long va, int len, int need) {
        java.util.ArrayList<ByteBuffer> list = new java.util.ArrayList<>();
        while (len > 0) {
            int n = (int) Math.min(len, PAGE - (va & 0xfff));
            long pa = translate(va, need);
            // merge physically contiguous pages
            while (n < len) {
                long nextVa = va + n;
                int m = (int) Math.min(len - n, PAGE);
                long npa;
                try {
                    npa = translate(nextVa, need);
                } catch (Fault f) {
                    break;
                }
                if (npa != pa + n) {
                    break;
                }
                n += m;
            }
            if ((need & PROT_WRITE) != 0 && shared(pa)) {
                for (long q = pa & ~0xfffL; q < pa + n; q += PAGE) {
                    storeTo(q);   // the channel will store into every page of the run
                }
            }
            list.add(hostOf(pa).buffer(offIn(pa), n));
            va += n;
            len -= n;
        }
        return list.toArray(new ByteBuffer[0]);
    }
}
