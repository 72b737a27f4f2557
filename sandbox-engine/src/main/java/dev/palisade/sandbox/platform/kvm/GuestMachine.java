package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.nativeinterop.HostMemory;
import dev.palisade.sandbox.nativeinterop.KvmException;
import dev.palisade.sandbox.nativeinterop.KvmSystem;
import dev.palisade.sandbox.nativeinterop.Sregs;
import dev.palisade.sandbox.nativeinterop.VcpuFd;
import dev.palisade.sandbox.nativeinterop.VmFd;

import static dev.palisade.sandbox.nativeinterop.KvmIoctls.*;
import static dev.palisade.sandbox.platform.kvm.GuestLayout.*;

/**
 * One VM with one vCPU set up for a kernel-less ring-3 program: guest RAM, GDT, TSS, IDT and
 * exception stubs, page tables for the system pages, long-mode control registers, the syscall
 * MSRs for the chosen {@link SyscallPath}; a thread of the program gets another vCPU of the same
 * VM ({@link #threadVcpu}), as an object of this class sharing all but the vCPU. The run loop
 * lives elsewhere ({@link KvmTask}); this class only builds the machine. Must be created on the
 * thread that will run the vCPU.
 */
final class GuestMachine implements AutoCloseable {
    /** Vectors for which the CPU pushes an error code. */
    private static final long ERROR_CODE_VECTORS = (1L << 8) | (1L << 10) | (1L << 11) | (1L << 12) | (1L << 13)
            | (1L << 14) | (1L << 17) | (1L << 21) | (1L << 29) | (1L << 30);

    final SyscallPath path;
    final KvmSystem kvm;
    final VmFd vm;
    final HostMemory ram;
    final VcpuFd vcpu;
    final GuestMemory memory;
    final long mmioPa;
    /** Guest-physical address of the vDSO's clock page (memory slot 1). */
    final long vvarPa;
    final long lstar;
    /** Physical page of the read-ahead window table (MMIO path), else 0. */
    long winTablePa;
    /** This vCPU's exception stack (IST1): supervisor address of its low end, physical address of its top page. */
    final long istVa, istTopPagePa;
    /** The machine whose VM this vCPU belongs to (itself for the first vCPU). */
    private final GuestMachine owner;
    /** The CR4 the first vCPU accepted: every other vCPU of the VM gets the same. */
    private long cr4;
    /** First vCPU only: vCPUs of ended threads, kept for the next thread (KVM cannot destroy one before its VM). */
    private final java.util.ArrayDeque<GuestMachine> idle = new java.util.ArrayDeque<>();
    private int nextVcpuId = 1;
    /** First vCPU only: vCPUs of this VM not closed yet; the VM and its memory go when the last one closes. */
    private int users = 1;

    GuestMachine(SyscallPath path, long memoryLimit) {
        this.path = path;
        long limitPages = Math.max(64, (memoryLimit + PAGE - 1) / PAGE);
        // room for page tables (one 4K table per 2 MiB, with slack) and the system pages
        long physSize = ((limitPages * PAGE) + (limitPages / 256 + 256) * PAGE + ALLOC_START_PA + 0x1f_ffff) & ~0x1f_ffffL;
        this.mmioPa = physSize + 0x20_0000;
        this.vvarPa = physSize + 0x10_0000;
        KvmSystem k = null;
        VmFd v = null;
        HostMemory r = null;
        VcpuFd c = null;
        try {
            k = KvmSystem.open();
            v = k.createVm();
            r = HostMemory.anonymous(physSize);
            v.setUserMemoryRegion(0, 0, r);
            v.setUserMemoryRegion(1, vvarPa, VdsoClock.page());   // one page shared by every VM: one update serves all
            c = v.createVcpu(0);
        } catch (RuntimeException e) {
            if (c != null) c.close();
            if (r != null) r.close();
            if (v != null) v.close();
            if (k != null) k.close();
            throw e;
        }
        this.kvm = k;
        this.vm = v;
        this.ram = r;
        this.vcpu = c;
        this.memory = new GuestMemory(ram, new PhysicalAllocator(physSize, limitPages));
        // the sandbox's shared pool, once a process maps some of it: above guest RAM, the MMIO page and the clock page
        VmFd vmFd = v;
        memory.sharedSlot(physSize + 0x40_0000, pool -> vmFd.setUserMemoryRegion(2, physSize + 0x40_0000, pool));
        this.owner = this;
        this.istVa = KERNEL_BASE + IST1_PA;
        this.istTopPagePa = IST1_TOP_PA - PAGE;
        this.lstar = switch (path) {
            case HARDWARE_LSTAR -> KERNEL_BASE + KCODE_PA + KCODE_TRAMPOLINE;
            case PVM_SHUTDOWN -> UNMAPPED_LSTAR;
            case PVM_MMIO -> USTUB_VA;
        };
        try {
            build();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void build() {
        ram.zero(PML4_PA, PAGE);
        // system pages, supervisor only
        memory.mapRaw(KERNEL_BASE + GDT_PA, GDT_PA, false, true, false);
        memory.mapRaw(KERNEL_BASE + TSS_PA, TSS_PA, false, true, false);
        memory.mapRaw(KERNEL_BASE + IDT_PA, IDT_PA, false, false, false);
        memory.mapRaw(KERNEL_BASE + KCODE_PA, KCODE_PA, false, false, true);
        memory.mapRaw(KERNEL_BASE + IST1_PA, IST1_PA, false, true, false);
        memory.mapRaw(KERNEL_BASE + IST1_PA + PAGE, IST1_PA + PAGE, false, true, false);
        memory.mapRaw(KERNEL_BASE + RSP0_PA, RSP0_PA, false, true, false);
        // the user stub page (MMIO path's LSTAR, the probe loop) and the MMIO page
        memory.mapRaw(USTUB_VA, USTUB_PA, true, false, true);
        if (path == SyscallPath.PVM_MMIO) {
            memory.mapRaw(MMIO_VA, mmioPa, true, true, false);
        }
        memory.mapRaw(VVAR_VA, vvarPa, true, false, false);

        // GDT: null, kcode64, kdata, ucode32, udata, ucode64, TSS (16 bytes)
        ram.putLong(GDT_PA + 0x08, 0x00AF9A000000FFFFL);
        ram.putLong(GDT_PA + 0x10, 0x00CF92000000FFFFL);
        ram.putLong(GDT_PA + 0x18, 0x00CFFA000000FFFFL);
        ram.putLong(GDT_PA + 0x20, 0x00CFF2000000FFFFL);
        ram.putLong(GDT_PA + 0x28, 0x00AFFA000000FFFFL);
        long tss = KERNEL_BASE + TSS_PA;
        ram.putLong(GDT_PA + TSS_SEL, 0x67L | ((tss & 0xFFFFFFL) << 16) | (0x89L << 40) | (((tss >>> 24) & 0xFFL) << 56));
        ram.putLong(GDT_PA + TSS_SEL + 8, tss >>> 32);
        // TSS: RSP0 at 4, IST1 at 0x24, I/O map base beyond the limit (no I/O bitmap)
        ram.putLong(TSS_PA + 4, KERNEL_BASE + RSP0_TOP_PA);
        ram.putLong(TSS_PA + 0x24, KERNEL_BASE + IST1_TOP_PA);
        ram.putShort(TSS_PA + 0x66, (short) 0x68);

        // exception stubs: [push $0] push $vec; out %al,$0x12; 1: hlt; jmp 1b
        for (int vec = 0; vec < 32; vec++) {
            long at = KCODE_PA + KCODE_EXC_STUBS + 16L * vec;
            int i = 0;
            byte[] code = new byte[16];
            if ((ERROR_CODE_VECTORS & (1L << vec)) == 0) {
                code[i++] = 0x6a;
                code[i++] = 0;
            }
            code[i++] = 0x6a;
            code[i++] = (byte) vec;
            code[i++] = (byte) 0xe6;
            code[i++] = (byte) PORT_EXCEPTION;
            code[i++] = (byte) 0xf4;
            code[i++] = (byte) 0xeb;
            code[i] = (byte) 0xfd;
            ram.write(at, code, 0, code.length);
            long handler = KERNEL_BASE + at;
            long gate = IDT_PA + 16L * vec;
            ram.putShort(gate, (short) handler);
            ram.putShort(gate + 2, (short) KCS);
            ram.putByte(gate + 4, (byte) 1);                // IST1
            ram.putByte(gate + 5, (byte) 0x8E);             // present, DPL0, interrupt gate
            ram.putShort(gate + 6, (short) (handler >>> 16));
            ram.putInt(gate + 8, (int) (handler >>> 32));
        }
        // hardware trampoline: out %al,$0x10; sysretq
        ram.write(KCODE_PA + KCODE_TRAMPOLINE, new byte[] {(byte) 0xe6, (byte) PORT_SYSCALL, 0x48, 0x0f, 0x07}, 0, 5);
        // MMIO path: the LSTAR stub and its read-ahead window table
        ram.write(USTUB_PA, SYSCALL_STUB, 0, SYSCALL_STUB.length);
        if (path == SyscallPath.PVM_MMIO) {
            winTablePa = memory.allocator().allocTable();
            ram.zero(winTablePa, PAGE);
            memory.mapRaw(WIN_TABLE_VA, winTablePa, true, true, false);
        }
        // probe loop: mov %rax,%rdi; mov $39,%eax; syscall; jmp loop
        ram.write(USTUB_PA + (PROBE_LOOP_VA - USTUB_VA),
                new byte[] {0x48, (byte) 0x89, (byte) 0xc7, (byte) 0xb8, 39, 0, 0, 0, 0x0f, 0x05, (byte) 0xeb, (byte) 0xf4}, 0, 12);

        long xcr0 = vcpu.setSupportedCpuid();
        boolean sregsOk = false;
        for (long cr4 : new long[] {CR4 | CR4_FSGSBASE, CR4, CR4 & ~(1L << 18)}) {
            try {
                setSregs(cr4, KERNEL_BASE + TSS_PA);
                this.cr4 = cr4;
                sregsOk = true;
                if ((cr4 & (1L << 18)) != 0 && (xcr0 & 1) != 0) {
                    try {
                        vcpu.setXcr0(xcr0 & 0xE7);
                    } catch (KvmException ignored) {
                        // XCR0 stays at its reset value (x87 only); pvm ignores it anyway
                    }
                }
                break;
            } catch (KvmException e) {
                // try the next, more conservative CR4
            }
        }
        if (!sregsOk) {
            throw new KvmException("KVM_SET_SREGS refused every long-mode CR4 setting");
        }
        vcpu.setMsrs(new int[] {MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE},
                new long[] {STAR, lstar, 0, SFMASK, 0, 0, 0});
    }

    private void setSregs(long cr4, long tss) {
        Sregs s = vcpu.getSregs();
        segment(s, SREG_CS, UCS, 11, 3, false, true);
        segment(s, SREG_SS, UDS, 3, 3, true, false);
        for (int seg : new int[] {SREG_DS, SREG_ES, SREG_FS, SREG_GS}) {
            segment(s, seg, 0, 3, 3, true, false);
        }
        // TR: 64-bit busy TSS
        s.setLong(SREG_TR, tss);
        s.setInt(SREG_TR + 8, 0x67);
        s.setShort(SREG_TR + 12, (short) TSS_SEL);
        s.setByte(SREG_TR + 14, (byte) 11);
        s.setByte(SREG_TR + 15, (byte) 1);
        s.setByte(SREG_TR + 16, (byte) 0);
        s.setByte(SREG_TR + 17, (byte) 0);
        s.setByte(SREG_TR + 18, (byte) 0);
        s.setByte(SREG_TR + 19, (byte) 0);
        s.setByte(SREG_TR + 20, (byte) 0);
        s.setByte(SREG_TR + 21, (byte) 0);
        s.setByte(SREG_TR + 22, (byte) 0);
        s.setLong(SREG_GDT, KERNEL_BASE + GDT_PA);
        s.setShort(SREG_GDT + 8, (short) (8 * 8 - 1));
        if (path.hasIdt()) {
            s.setLong(SREG_IDT, KERNEL_BASE + IDT_PA);
            s.setShort(SREG_IDT + 8, (short) (256 * 16 - 1));
        } else {
            s.setLong(SREG_IDT, 0);
            s.setShort(SREG_IDT + 8, (short) 0);
        }
        s.setLong(SREG_CR0, CR0);
        s.setLong(SREG_CR2, 0);
        s.setLong(SREG_CR3, PML4_PA);
        s.setLong(SREG_CR4, cr4);
        s.setLong(SREG_EFER, EFER);
        vcpu.setSregs(s);
    }

    /** Writes a struct kvm_segment: base, limit, selector, type, present, dpl, db, s, l, g, avl, unusable. */
    private static void segment(Sregs s, int off, int selector, int type, int dpl, boolean db, boolean longMode) {
        s.setLong(off, 0);
        s.setInt(off + 8, 0xffffffff);
        s.setShort(off + 12, (short) selector);
        s.setByte(off + 14, (byte) type);
        s.setByte(off + 15, (byte) 1);
        s.setByte(off + 16, (byte) dpl);
        s.setByte(off + 17, (byte) (db ? 1 : 0));
        s.setByte(off + 18, (byte) 1);
        s.setByte(off + 19, (byte) (longMode ? 1 : 0));
        s.setByte(off + 20, (byte) 1);
        s.setByte(off + 21, (byte) 0);
        s.setByte(off + 22, (byte) 0);
    }

    /** Supervisor addresses of the exception stacks of the second and later vCPUs: 16 KiB apart, above every KERNEL_BASE + PA. */
    private static final long THREAD_IST_BASE = KERNEL_BASE + 0x40_0000_0000L;

    /**
     * Another vCPU of {@code first}'s VM, for a thread: same memory, page tables, GDT, IDT and
     * syscall MSRs; its own registers, FS base and TSS with its own exception stack, so that two
     * threads faulting at once do not write their frames over each other.
     */
    private GuestMachine(GuestMachine first, int id) {
        this.owner = first;
        this.path = first.path;
        this.kvm = first.kvm;
        this.vm = first.vm;
        this.ram = first.ram;
        this.memory = first.memory;
        this.mmioPa = first.mmioPa;
        this.vvarPa = first.vvarPa;
        this.lstar = first.lstar;
        this.winTablePa = first.winTablePa;
        this.cr4 = first.cr4;
        this.vcpu = vm.createVcpu(id);
        try {
            // counted as the program's memory (as Linux charges a thread's kernel stack): the page-table reserve stays for tables
            PhysicalAllocator a = memory.allocator();
            long tssPa = a.allocUser();
            long istLow = a.allocUser(), istHigh = a.allocUser();
            ram.zero(tssPa, PAGE);
            memory.mapRaw(KERNEL_BASE + tssPa, tssPa, false, true, false);
            this.istVa = THREAD_IST_BASE + id * 0x4000L;
            this.istTopPagePa = istHigh;
            memory.mapRaw(istVa, istLow, false, true, false);
            memory.mapRaw(istVa + PAGE, istHigh, false, true, false);
            ram.putLong(tssPa + 4, istVa + 2 * PAGE);   // RSP0: no gate uses it, but never the first vCPU's stack
            ram.putLong(tssPa + 0x24, istVa + 2 * PAGE);
            ram.putShort(tssPa + 0x66, (short) 0x68);
            long xcr0 = vcpu.setSupportedCpuid();
            setSregs(cr4, KERNEL_BASE + tssPa);
            if ((cr4 & (1L << 18)) != 0 && (xcr0 & 1) != 0) {
                try {
                    vcpu.setXcr0(xcr0 & 0xE7);
                } catch (KvmException ignored) {
                    // as for the first vCPU
                }
            }
            vcpu.setMsrs(new int[] {MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE},
                    new long[] {STAR, lstar, 0, SFMASK, 0, 0, 0});
        } catch (RuntimeException e) {
            vcpu.close();
            throw e;
        }
    }

    /** A vCPU for a new thread of this machine's process: an ended thread's, or a new one. Call on the thread that will run it. */
    GuestMachine threadVcpu() {
        GuestMachine o = owner;
        int id;
        synchronized (o) {
            GuestMachine m = o.idle.pollFirst();
            o.users++;
            if (m != null) {
                return m;
            }
            id = o.nextVcpuId++;
        }
        try {
            return new GuestMachine(o, id);
        } catch (RuntimeException e) {
            release();
            throw e;
        }
    }

    /** A thread's vCPU is done: kept for the next thread. */
    void releaseThreadVcpu() {
        synchronized (owner) {
            owner.idle.addLast(this);
        }
        owner.release();
    }

    /** The guest physical address of the exception frame at {@code rsp}, or -1 when it is not inside this vCPU's stack's top page. */
    long istFramePa(long rsp, int size) {
        long top = istVa + 2 * PAGE;
        if (rsp < top - PAGE || rsp + size > top) {
            return -1;
        }
        return istTopPagePa + (rsp - (top - PAGE));
    }

    /** Sets the user registers for the first instruction: all zero (RDX too: no rtld_fini) but rip and rsp. */
    void setEntry(long rip, long rsp) {
        long[] r = new long[18];
        r[6] = rsp;
        r[16] = rip;
        r[17] = 0x202;
        vcpu.setRegs(r);
    }

    /**
     * Resumes the program in ring 3 with {@code r} (kvm_regs order; rflags already sanitized): after
     * a fault the vCPU sits in an exception stub in ring 0, so the user code and stack segments are
     * loaded too.
     */
    void resumeUser(long[] r, boolean fromFault) {
        if (fromFault) {
            Sregs s = vcpu.getSregs();
            segment(s, SREG_CS, UCS, 11, 3, false, true);
            segment(s, SREG_SS, UDS, 3, 3, true, false);
            s.setLong(SREG_CR2, 0);   // a later fault on the path that loses the vector must not look like this page fault
            vcpu.setSregs(s);
        }
        vcpu.setRegs(r);
    }

    /** cr2 from KVM_GET_SREGS (slow path, for fault reports). */
    long cr2() {
        return vcpu.getSregs().getLong(SREG_CR2);
    }

    /** Sets the FS base (arch_prctl). */
    void setFsBase(long base) {
        vcpu.setMsrs(new int[] {MSR_FS_BASE}, new long[] {base});
    }

    long fsBase() {
        return vcpu.getMsr(MSR_FS_BASE);
    }

    /**
     * Closes the first vCPU; the VM and its memory go once every thread's vCPU is done too
     * (a thread still in a host call may touch guest memory until it returns).
     */
    @Override
    public void close() {
        if (owner != this) {
            releaseThreadVcpu();
            return;
        }
        vcpu.close();
        release();
    }

    private void release() {
        GuestMachine o = owner;
        synchronized (o) {
            if (--o.users > 0) {
                return;
            }
        }
        for (GuestMachine t : o.idle) {
            t.vcpu.close();
        }
        o.idle.clear();
        memory.releaseShared();
        vm.close();
        ram.close();
        kvm.close();
    }
}
