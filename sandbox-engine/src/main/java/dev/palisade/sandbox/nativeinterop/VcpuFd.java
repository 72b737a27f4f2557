package dev.palisade.sandbox.nativeinterop;

import dev.palisade.sandbox.abi.Signal;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import static dev.palisade.sandbox.nativeinterop.KvmIoctls.*;

/**
 * A vCPU descriptor with its mmap'd {@code kvm_run}. General registers are exchanged through
 * {@code kvm_run.s.regs} (KVM_CAP_SYNC_REGS): KVM copies them out on every exit and back in when
 * marked dirty, which halves the cost of a round trip compared with GET/SET_REGS ioctls.
 * All calls except {@link #kick(int)} belong to the thread that runs the vCPU.
 */
public final class VcpuFd implements AutoCloseable {
    private final KvmSystem kvm;
    private final int fd;
    private final HostMemory run;
    private final Sregs sregs = new Sregs();
    private final Memory msrs = new Memory(SIZEOF_MSRS_HEADER + 8L * SIZEOF_MSR_ENTRY);
    private boolean dirty;

    VcpuFd(KvmSystem kvm, int fd, HostMemory run) {
        this.kvm = kvm;
        this.fd = fd;
        this.run = run;
        run.putLong(RUN_KVM_VALID_REGS, KVM_SYNC_X86_REGS);
    }

    /** Enters the guest until the next exit. */
    public VcpuExit run() {
        if (dirty) {
            run.putLong(RUN_KVM_DIRTY_REGS, KVM_SYNC_X86_REGS);
            dirty = false;
        }
        int r = KvmNative.ioctl(fd, KVM_RUN, 0);
        run.putLong(RUN_KVM_DIRTY_REGS, 0);
        if (r < 0) {
            int e = KvmNative.lastError();
            if (e == 4 || e == 11) {
                return VcpuExit.INTERRUPTED;
            }
            throw new KvmException("KVM_RUN", e);
        }
        int reason = run.getInt(RUN_EXIT_REASON);
        return switch (reason) {
            case KVM_EXIT_IO -> new VcpuExit.IoOut(run.getShort(RUN_IO_PORT) & 0xffff, run.getByte(RUN_EXIT_DATA) == 1);
            case KVM_EXIT_MMIO -> new VcpuExit.Mmio(run.getLong(RUN_MMIO_PHYS_ADDR), run.getByte(RUN_MMIO_IS_WRITE) != 0);
            case KVM_EXIT_HLT -> VcpuExit.HLT;
            case KVM_EXIT_SHUTDOWN -> VcpuExit.SHUTDOWN;
            case KVM_EXIT_INTR -> VcpuExit.INTERRUPTED;
            case KVM_EXIT_FAIL_ENTRY -> new VcpuExit.FailEntry(run.getLong(RUN_EXIT_DATA));
            case KVM_EXIT_INTERNAL_ERROR -> new VcpuExit.InternalError(run.getInt(RUN_EXIT_DATA));
            default -> new VcpuExit.Other(reason);
        };
    }

    /** A general register from the synced copy; {@code offset} is one of {@code KvmIoctls.REG_*}. */
    public long reg(int offset) {
        return run.getLong(RUN_SYNC_REGS + offset);
    }

    /** Sets a general register; it reaches the vCPU at the next {@link #run()}. */
    public void setReg(int offset, long value) {
        run.putLong(RUN_SYNC_REGS + offset, value);
        dirty = true;
    }

    /** Asks the next or current KVM_RUN to return at once (set from any thread, with {@link #kick}). */
    public void setImmediateExit(boolean on) {
        run.putByte(RUN_IMMEDIATE_EXIT, (byte) (on ? 1 : 0));
    }

    /** Interrupts a KVM_RUN in progress on thread {@code tid}: a signal the JVM ignores. */
    public static void kick(int tid) {
        KvmNative.tgkill(tid, Signal.SIGXFSZ);   // the JVM ignores SIGXFSZ: it only interrupts KVM_RUN
    }

    /** Reads the special registers into an internal buffer and returns it (valid until the next call). */
    public Sregs getSregs() {
        if (KvmNative.ioctl(fd, KVM_GET_SREGS, Pointer.nativeValue(sregs.memory)) < 0) {
            throw new KvmException("KVM_GET_SREGS", KvmNative.lastError());
        }
        return sregs;
    }

    /** Writes back the buffer returned by {@link #getSregs()}, after the caller changed it. */
    public void setSregs(Sregs s) {
        if (KvmNative.ioctl(fd, KVM_SET_SREGS, Pointer.nativeValue(s.memory)) < 0) {
            throw new KvmException("KVM_SET_SREGS", KvmNative.lastError());
        }
    }

    public void setRegs(long[] values) {
        try (Memory m = new Memory(SIZEOF_REGS)) {
            for (int i = 0; i < 18; i++) {
                m.setLong(8L * i, values[i]);
            }
            if (KvmNative.ioctl(fd, KVM_SET_REGS, Pointer.nativeValue(m)) < 0) {
                throw new KvmException("KVM_SET_REGS", KvmNative.lastError());
            }
        }
        // refresh the synced copy so that it does not overwrite what we just set
        for (int i = 0; i < 18; i++) {
            run.putLong(RUN_SYNC_REGS + 8L * i, values[i]);
        }
        dirty = false;
    }

    public void setMsrs(int[] index, long[] value) {
        msrs.clear();
        msrs.setInt(0, index.length);
        for (int i = 0; i < index.length; i++) {
            msrs.setInt(SIZEOF_MSRS_HEADER + (long) i * SIZEOF_MSR_ENTRY, index[i]);
            msrs.setLong(SIZEOF_MSRS_HEADER + (long) i * SIZEOF_MSR_ENTRY + 8, value[i]);
        }
        int r = KvmNative.ioctl(fd, KVM_SET_MSRS, Pointer.nativeValue(msrs));
        if (r != index.length) {
            throw new KvmException("KVM_SET_MSRS set " + r + " of " + index.length + " MSRs");
        }
    }

    public long getMsr(int index) {
        msrs.clear();
        msrs.setInt(0, 1);
        msrs.setInt(SIZEOF_MSRS_HEADER, index);
        if (KvmNative.ioctl(fd, KVM_GET_MSRS, Pointer.nativeValue(msrs)) != 1) {
            throw new KvmException("KVM_GET_MSRS", KvmNative.lastError());
        }
        return msrs.getLong(SIZEOF_MSRS_HEADER + 8);
    }

    /** Gives the guest the CPUID the host supports; returns the XCR0 bits the host supports. */
    public long setSupportedCpuid() {
        Memory c = kvm.supportedCpuid();
        if (KvmNative.ioctl(fd, KVM_SET_CPUID2, Pointer.nativeValue(c)) < 0) {
            throw new KvmException("KVM_SET_CPUID2", KvmNative.lastError());
        }
        int n = c.getInt(0);
        for (int i = 0; i < n; i++) {
            long e = SIZEOF_CPUID2_HEADER + (long) i * SIZEOF_CPUID_ENTRY2;
            if (c.getInt(e) == 0xd && c.getInt(e + 4) == 0) {
                return (c.getInt(e + 12) & 0xffffffffL) | ((long) c.getInt(e + 24) << 32);
            }
        }
        return 0x3;
    }

    /** The FPU, SSE and AVX state as an XSAVE image ({@code SIZEOF_XSAVE} bytes, standard format). */
    public byte[] getXsave() {
        try (Memory m = new Memory(SIZEOF_XSAVE)) {
            if (KvmNative.ioctl(fd, KVM_GET_XSAVE, Pointer.nativeValue(m)) < 0) {
                throw new KvmException("KVM_GET_XSAVE", KvmNative.lastError());
            }
            return m.getByteArray(0, SIZEOF_XSAVE);
        }
    }

    /** Loads an XSAVE image; false when KVM refuses it as invalid (reserved bits, unknown features). */
    public boolean setXsave(byte[] image) {
        try (Memory m = new Memory(SIZEOF_XSAVE)) {
            m.clear();
            m.write(0, image, 0, Math.min(image.length, SIZEOF_XSAVE));
            return KvmNative.ioctl(fd, KVM_SET_XSAVE, Pointer.nativeValue(m)) >= 0;
        }
    }

    /** KVM_SET_XCRS with XCR0 only. */
    public void setXcr0(long value) {
        try (Memory m = new Memory(SIZEOF_XCRS)) {
            m.clear();
            m.setInt(0, 1);
            m.setInt(8, 0);
            m.setLong(16, value);
            if (KvmNative.ioctl(fd, KVM_SET_XCRS, Pointer.nativeValue(m)) < 0) {
                throw new KvmException("KVM_SET_XCRS", KvmNative.lastError());
            }
        }
    }

    @Override
    public void close() {
        run.close();
        KvmNative.close(fd);
    }
}
