package dev.palisade.sandbox.platform.kvm;

/**
 * Where things are in the guest. Physical: a few fixed system pages at the bottom, then page
 * tables and program pages from {@link PhysicalAllocator}. Virtual: system pages at
 * {@link #KERNEL_BASE} (supervisor only), the two syscall-path pages below the program's lowest
 * permitted address, the program where its ELF says, the stack and mmap area at the top of the
 * lower half.
 */
final class GuestLayout {
    private GuestLayout() {
    }

    static final long PAGE = 4096;

    // physical pages of the system structures
    static final long GDT_PA = 0x1000;
    static final long TSS_PA = 0x2000;
    static final long IDT_PA = 0x3000;
    static final long KCODE_PA = 0x4000;
    static final long USTUB_PA = 0x5000;
    static final long IST1_PA = 0x6000;   // two pages, top at 0x8000
    static final long IST1_TOP_PA = 0x8000;
    static final long RSP0_PA = 0x8000;   // one page, top at 0x9000
    static final long RSP0_TOP_PA = 0x9000;
    static final long PML4_PA = 0x9000;
    /** First page the allocator hands out. */
    static final long ALLOC_START_PA = 0x10000;

    /** Supervisor view of the system pages: VA = KERNEL_BASE + PA. */
    static final long KERNEL_BASE = 0xffff_ff80_0000_0000L;
    /** LSTAR for the pvm "shutdown" path: canonical, never mapped. */
    static final long UNMAPPED_LSTAR = KERNEL_BASE + 0x10_0000;

    /** User page that the MMIO path's stores go to; backed by no memory slot. Above the stack, out of mmap's reach. */
    static final long MMIO_VA = 0x7fff_ffff_e000L;
    /** User page holding the MMIO path's LSTAR stub and the probe loop. */
    static final long USTUB_VA = 0x7fff_ffff_f000L;
    /** Where the MMIO store of the stub ends: rip at a syscall exit on the MMIO path. */
    static final long MMIO_EXIT_RIP = USTUB_VA + 0x80;
    /** Read-ahead window table (one user page; 64 entries of buffer, length, consumed). */
    static final long WIN_TABLE_VA = 0x7fff_1000_0000L;
    /** Read-ahead buffers, {@link #WIN_SIZE} bytes per descriptor below {@link #WIN_FDS}. */
    static final long WIN_BUF_VA = 0x7fff_2000_0000L;
    static final int WIN_SIZE = 256 << 10;
    static final int WIN_FDS = 64;

    /**
     * The MMIO path's LSTAR stub, ring 3 (source: docs/kvm.md, "The syscall stub"). A read(2) of
     * {@code count} bytes from a descriptor below 64 whose read-ahead window holds at least
     * {@code count} bytes is served in the guest by a copy; anything else reaches
     * {@code movabs %al, MMIO_VA}, which exits with rip = {@link #MMIO_EXIT_RIP}.
     */
    static final byte[] SYSCALL_STUB = {
            0x48, (byte) 0x85, (byte) 0xc0, 0x75, 0x72, 0x48, (byte) 0x83, (byte) 0xff, 0x40, 0x73, 0x6c, 0x48,
            (byte) 0x85, (byte) 0xd2, 0x74, 0x67, 0x48, (byte) 0x8d, (byte) 0xa4, 0x24, 0x00, (byte) 0xff, (byte) 0xff, (byte) 0xff,
            0x56, 0x57, 0x51, 0x41, 0x53, 0x52, 0x48, (byte) 0xb8, 0x00, 0x00, 0x00, 0x10,
            (byte) 0xff, 0x7f, 0x00, 0x00, 0x48, (byte) 0xc1, (byte) 0xe7, 0x05, 0x48, 0x01, (byte) 0xf8, 0x48,
            (byte) 0x8b, 0x48, 0x08, 0x48, 0x2b, 0x48, 0x10, 0x72, 0x2e, 0x48, 0x39, (byte) 0xd1,
            0x72, 0x29, 0x48, (byte) 0x8b, 0x30, 0x48, 0x03, 0x70, 0x10, 0x48, 0x01, 0x50,
            0x10, 0x48, (byte) 0x89, (byte) 0xd1, 0x48, (byte) 0x8b, 0x7c, 0x24, 0x20, (byte) 0xfc, (byte) 0xf3, (byte) 0xa4,
            0x58, 0x41, 0x5b, 0x59, 0x5f, 0x5e, 0x41, 0x53, (byte) 0x9d, 0x48, (byte) 0x8d, (byte) 0xa4,
            0x24, 0x00, 0x01, 0x00, 0x00, (byte) 0xff, (byte) 0xe1, 0x5a, 0x41, 0x5b, 0x59, 0x5f,
            0x5e, 0x48, (byte) 0x8d, (byte) 0xa4, 0x24, 0x00, 0x01, 0x00, 0x00, 0x31, (byte) 0xc0, (byte) 0xa2,
            0x00, (byte) 0xe0, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 0x00, 0x00, 0x0f, 0x0b};
    static final long PROBE_LOOP_VA = USTUB_VA + 0x100;
    /** The vDSO's clock page ({@link VdsoClock}): user, read-only, in the engine's area above the mmap area. */
    static final long VVAR_VA = 0x7fff_0800_0000L;
    /** The vDSO ({@code AT_SYSINFO_EHDR}): the top of the mmap area, a private mapping the program may unmap or change as on Linux. */
    static final long VDSO_SIZE = 2 * 4096;
    static final long VDSO_VA = 0x7fff_0000_0000L - VDSO_SIZE;
    /** The program may not map below this (as Linux's vm.mmap_min_addr). */
    static final long MIN_USER_VA = 0x10000;

    /** Offsets in the kernel code page. */
    static final int KCODE_EXC_STUBS = 0;        // 32 x 16 bytes
    static final int KCODE_TRAMPOLINE = 0x200;   // out 0x10; sysretq

    /** Ports the ring-0 code writes. */
    static final int PORT_SYSCALL = 0x10;
    static final int PORT_EXCEPTION = 0x12;

    /** Top of the user stack region and its size. */
    static final long STACK_TOP = 0x7fff_ffff_d000L;
    static final long STACK_SIZE = 8L << 20;
    /** mmap allocations grow down from here. */
    static final long MMAP_TOP = 0x7fff_0000_0000L;
    /** Load base of position-independent executables. */
    static final long PIE_BASE = 0x5555_5555_4000L;
    /** Load base of the interpreter ({@code PT_INTERP}) of a dynamic program: in the mmap area, as Linux places it. */
    static final long INTERP_BASE = 0x7ffe_f7f0_0000L;
    /** Top of the user half (exclusive). */
    static final long USER_TOP = 0x8000_0000_0000L;

    // GDT selectors
    static final int KCS = 0x08;
    static final int KDS = 0x10;
    static final int UCS = 0x2b;
    static final int UDS = 0x23;
    static final int TSS_SEL = 0x30;
    /** sysret: CS = 0x18+16 | 3, SS = 0x18+8 | 3; syscall: CS = 0x08, SS = 0x10. */
    static final long STAR = (0x18L << 48) | (0x08L << 32);
    /** Flags masked on syscall: TF DF IF IOPL AC NT. */
    static final long SFMASK = 0x47700;

    static final long CR0 = 0x80010033L;   // PE MP ET NE WP PG
    static final long CR4 = 0x40620L;      // PAE OSFXSR OSXMMEXCPT OSXSAVE
    static final long CR4_FSGSBASE = 1L << 16;
    static final long EFER = 0xd01L;       // SCE LME LMA NXE

    /** Status flags a program may set through a syscall return; IOPL, TF, VM, NT never. */
    static final long RFLAGS_USER_MASK = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800 | 0x40000 | 0x200000;

    static long sanitizeRflags(long r11) {
        return (r11 & RFLAGS_USER_MASK) | 0x202;
    }

    static boolean canonicalUser(long va) {
        return va >= 0 && va < USER_TOP;
    }

    /**
     * Whether {@code va} is the program's own code or data, below the engine's pages at the top
     * of user space (the MMIO path's stub runs in ring 3 there, between a program's syscall and
     * its exit): a signal is taken only where the program stands, never inside the stub.
     */
    static boolean programAddress(long va) {
        return va >= 0 && va < MMIO_VA;
    }
}
