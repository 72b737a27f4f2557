package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.nativeinterop.HostMemory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

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
 */
final class GuestMemory {
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int PROT_EXEC = 4;

    private static final long PTE_P = 1, PTE_RW = 2, PTE_US = 4, PTE_NX = 1L << 63;
    private static final long ADDR_MASK = 0x000f_ffff_ffff_f000L;

    /** A guest address the Sentry was asked to use is not mapped (or not with the access needed). */
    static final class Fault extends RuntimeException {
        final long address;

        Fault(long address) {
            super("bad guest address 0x" + Long.toHexString(address), null, false, false);
            this.address = address;
        }
    }

    /** The sandbox is ending (a limit, a kill): a long walk stops at its next check instead of running on. */
    static final class Stopped extends RuntimeException {
        Stopped() {
            super("the sandbox is ending", null, false, false);
        }
    }

    /** The highest address a user range may reach, as Linux's {@code USER_PTR_MAX} on x86-64. */
    static final long USER_PTR_MAX = 0x7fff_ffff_f000L;
    /** The most bytes one read or write moves, as Linux's {@code MAX_RW_COUNT}. */
    static final int MAX_RW_COUNT = 0x7fff_f000;
    /** Pages a walk goes through between two looks at {@link #stop()}. */
    private static final int STOP_CHECK_PAGES = 1 << 14;

    private final HostMemory ram;
    private volatile boolean stopping;
    private final PhysicalAllocator phys;
    /** vpn → (physical address | prot); physical 0 means "not backed yet" (PROT_NONE). */
    private final Map<Long, Long> pages = new HashMap<>();

    GuestMemory(HostMemory ram, PhysicalAllocator phys) {
        this.ram = ram;
        this.phys = phys;
    }

    HostMemory ram() {
        return ram;
    }

    PhysicalAllocator allocator() {
        return phys;
    }

    /** Makes every walk still running or yet to come throw {@link Stopped} (from the watchdog's thread). */
    void stop() {
        stopping = true;
    }

    private void checkStop(long step) {
        if ((step & (STOP_CHECK_PAGES - 1)) == 0 && stopping) {
            throw new Stopped();
        }
    }

    /**
     * Linux's {@code access_ok}: {@code [va, va + len)}, with {@code len} unsigned as the program
     * passed it, ends at or below {@link #USER_PTR_MAX} without wrapping around.
     */
    static boolean accessOk(long va, long len) {
        long end = va + len;
        return Long.compareUnsigned(end, USER_PTR_MAX) <= 0 && Long.compareUnsigned(end, va) >= 0;
    }

    /**
     * The byte count a read(2) or write(2) of {@code len} bytes at {@code va} works on, as Linux
     * computes it: a {@link Fault} (EFAULT) when the range fails {@link #accessOk}, else {@code len}
     * cut to {@link #MAX_RW_COUNT}. Never negative, whatever the program passed.
     */
    static int ioCount(long va, long len) {
        if (!accessOk(va, len)) {
            throw new Fault(va);
        }
        return (int) Math.min(len, MAX_RW_COUNT);
    }

    /** Like {@link #ioCount} but cut to {@link #MAX_RW_COUNT} before the check (getrandom, readv's iovecs). */
    static int ioCountClamped(long va, long len) {
        long n = Long.compareUnsigned(len, MAX_RW_COUNT) > 0 ? MAX_RW_COUNT : len;
        if (!accessOk(va, n)) {
            throw new Fault(va);
        }
        return (int) n;
    }

    // ------------------------------------------------------------------ walks bounded by the mapping

    /**
     * The mapped pages (virtual page numbers, ascending) of the pages {@code [va, va + len)}
     * touches, {@code va} page-aligned. Costs the smaller of the range's pages and the pages mapped, so a
     * range as large as the address space costs what the program holds, never more.
     */
    private long[] mappedPages(long va, long len) {
        long first = va >>> 12, count = (len >>> 12) + ((len & 0xfff) != 0 ? 1 : 0);
        if (count <= pages.size()) {
            long[] found = new long[(int) count];
            int n = 0;
            for (long i = 0; i < count; i++) {
                checkStop(i);
                if (pages.containsKey(first + i)) {
                    found[n++] = first + i;
                }
            }
            return java.util.Arrays.copyOf(found, n);
        }
        long[] found = new long[pages.size()];
        int n = 0;
        long step = 0;
        for (long vpn : pages.keySet()) {
            checkStop(step++);
            if (Long.compareUnsigned(vpn - first, count) < 0) {
                found[n++] = vpn;
            }
        }
        long[] r = java.util.Arrays.copyOf(found, n);
        java.util.Arrays.sort(r);
        return r;
    }

    /** The mapped pages of {@code [low, high)} (page-aligned) as virtual page numbers, ascending; bounded as {@link #mappedPages}. */
    long[] mappedIn(long low, long high) {
        return high <= low ? new long[0] : mappedPages(low, high - low);
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
    void mapRaw(long va, long pa, boolean user, boolean write, boolean exec) {
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

    boolean isMapped(long va) {
        return pages.containsKey(va >>> 12);
    }

    /** True when every page of [va, va+len) is free. */
    boolean isFree(long va, long len) {
        return mappedPages(va, len).length == 0;
    }

    /** Pages of address space (mapped or reserved) one program may hold beyond its memory limit: 4 GiB. */
    static final long RESERVATION_PAGES = 1L << 20;

    /** Maps fresh zeroed pages over [va, va+len) (page-aligned); existing pages there are unmapped first. */
    void map(long va, long len, int prot) {
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

    void unmap(long va, long len) {
        for (long vpn : mappedPages(va, len)) {
            long p = vpn << 12;
            Long e = pages.remove(vpn);
            ram.putLong(pteSlot(p), 0);
            long pa = e & ~0xfffL;
            if (pa != 0) {
                ram.discard(pa, PAGE);
                phys.freeUser(pa);
            }
        }
    }

    /** Changes protection; returns false if some page of the range is not mapped (ENOMEM). */
    boolean protect(long va, long len, int prot) {
        long[] mapped = mappedPages(va, len);
        if (mapped.length != len >>> 12) {
            return false;
        }
        for (long vpn : mapped) {
            long p = vpn << 12;
            long e = pages.get(vpn);
            int old = (int) (e & 7);
            long pa = e & ~0xfffL;
            if (old == prot) {
                continue;
            }
            if (pa == 0 && (prot & 7) != 0) {
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
    void move(long from, long to, long len) {
        for (long vpn : mappedPages(from, len)) {
            long off = (vpn << 12) - from;
            long e = pages.get(vpn);
            int prot = (int) (e & 7);
            long oldPa = e & ~0xfffL;
            long pa = 0;
            if (oldPa != 0) {
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

    int protOf(long va) {
        Long e = pages.get(va >>> 12);
        return e == null ? -1 : (int) (e & 7);
    }

    /** Physical address of {@code va} if mapped with at least {@code need} protection bits. */
    long translate(long va, int need) {
        Long e = pages.get(va >>> 12);
        if (e == null || (e & need) != need || (e & ~0xfffL) == 0) {
            throw new Fault(va);
        }
        return (e & ~0xfffL) | (va & 0xfff);
    }

    /** Physical address of {@code va} if mapped at all; -1 if not (for fault reports). */
    long physicalOrMinusOne(long va) {
        Long e = pages.get(va >>> 12);
        return e == null || (e & ~0xfffL) == 0 ? -1 : (e & ~0xfffL) | (va & 0xfff);
    }

    // ------------------------------------------------------------------ copying

    void read(long va, byte[] dst, int off, int len) {
        while (len > 0) {
            int n = (int) Math.min(len, PAGE - (va & 0xfff));
            ram.read(translate(va, PROT_READ), dst, off, n);
            va += n;
            off += n;
            len -= n;
        }
    }

    byte[] read(long va, int len) {
        if (len < 0) {
            throw new Fault(va);
        }
        byte[] b = new byte[len];
        read(va, b, 0, len);
        return b;
    }

    void write(long va, byte[] src, int off, int len) {
        while (len > 0) {
            int n = (int) Math.min(len, PAGE - (va & 0xfff));
            ram.write(translate(va, PROT_WRITE), src, off, n);
            va += n;
            off += n;
            len -= n;
        }
    }

    void write(long va, byte[] src) {
        write(va, src, 0, src.length);
    }

    /** Writes without the guest's write permission (loading read-only ELF segments). */
    void writeInitial(long va, byte[] src, int off, int len) {
        while (len > 0) {
            int n = (int) Math.min(len, PAGE - (va & 0xfff));
            ram.write(translate(va, 0), src, off, n);
            va += n;
            off += n;
            len -= n;
        }
    }

    long readLong(long va) {
        if ((va & 0xfff) <= PAGE - 8) {
            return ram.getLong(translate(va, PROT_READ));
        }
        byte[] b = read(va, 8);
        return ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    int readInt(long va) {
        if ((va & 0xfff) <= PAGE - 4) {
            return ram.getInt(translate(va, PROT_READ));
        }
        byte[] b = read(va, 4);
        return ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
    }

    void writeLong(long va, long v) {
        if ((va & 0xfff) <= PAGE - 8) {
            ram.putLong(translate(va, PROT_WRITE), v);
            return;
        }
        write(va, ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    void writeInt(long va, int v) {
        write(va, ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    void zero(long va, long len) {
        while (len > 0) {
            int n = (int) Math.min(len, PAGE - (va & 0xfff));
            ram.zero(translate(va, PROT_WRITE), n);
            va += n;
            len -= n;
        }
    }

    /** A NUL-terminated string of at most {@code max} bytes; ENAMETOOLONG is the caller's business. */
    String readCString(long va, int max) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < max; i++) {
            long pa = translate(va + i, PROT_READ);
            int chunk = (int) Math.min(max - i, PAGE - ((va + i) & 0xfff));
            for (int k = 0; k < chunk; k++) {
                byte b = ram.getByte(pa + k);
                if (b == 0) {
                    return out.toString(StandardCharsets.UTF_8);
                }
                out.write(b);
            }
            i += chunk - 1;
        }
        return null;
    }

    /** Direct buffers covering [va, va+len), one per physical run, for channel I/O. */
    ByteBuffer[] buffers(long va, int len, boolean forWrite) {
        return buffers(va, len, forWrite ? PROT_WRITE : PROT_READ);
    }

    /** Like {@link #buffers(long, int, boolean)} with an explicit protection need (0: any mapped page). */
    ByteBuffer[] buffers(long va, int len, int need) {
        if (len < 0) {
            throw new Fault(va);
        }
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
            list.add(ram.buffer(pa, n));
            va += n;
            len -= n;
        }
        return list.toArray(new ByteBuffer[0]);
    }

    /**
     * Buffers over the part of {@code [va, va + len)} a Linux copy reaches before it faults: the
     * longest prefix mapped with {@code need}. A {@link Fault} when not even the first byte is
     * (and {@code len > 0}). The walk stops at the first unmapped page, so it never costs more
     * than the program has mapped.
     */
    ByteBuffer[] reachable(long va, int len, int need) {
        if (len < 0) {
            throw new Fault(va);
        }
        java.util.ArrayList<ByteBuffer> list = new java.util.ArrayList<>();
        long runPa = 0, step = 0;
        int runLen = 0;
        while (len > 0) {
            checkStop(step++);
            int n = (int) Math.min(len, PAGE - (va & 0xfff));
            long pa;
            try {
                pa = translate(va, need);
            } catch (Fault f) {
                if (runLen == 0 && list.isEmpty()) {
                    throw f;
                }
                break;
            }
            if (runLen > 0 && runPa + runLen == pa) {
                runLen += n;   // physically contiguous: one buffer
            } else {
                if (runLen > 0) {
                    list.add(ram.buffer(runPa, runLen));
                }
                runPa = pa;
                runLen = n;
            }
            va += n;
            len -= n;
        }
        if (runLen > 0) {
            list.add(ram.buffer(runPa, runLen));
        }
        return list.toArray(new ByteBuffer[0]);
    }
}
