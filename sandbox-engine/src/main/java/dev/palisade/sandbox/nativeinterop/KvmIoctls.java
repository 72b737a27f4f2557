package dev.palisade.sandbox.nativeinterop;

/**
 * KVM ioctl request numbers and the layouts of the structures they take, as in
 * {@code <linux/kvm.h>} for x86-64. Numbers are computed the way the kernel's {@code _IOC} macro
 * does, from (direction, type, number, size), so a wrong structure size shows up as a wrong
 * number in the unit test rather than as EINVAL at run time.
 */
public final class KvmIoctls {
    private KvmIoctls() {
    }

    public static final int IOC_NONE = 0;
    public static final int IOC_WRITE = 1;
    public static final int IOC_READ = 2;
    /** The KVM ioctl type byte. */
    public static final int KVMIO = 0xAE;

    /** {@code _IOC(dir, type, nr, size)}: dir in bits 30-31, size in 16-29, type in 8-15, nr in 0-7. */
    public static long ioc(int dir, int type, int nr, int size) {
        if (size < 0 || size >= (1 << 14)) {
            throw new IllegalArgumentException("ioctl size out of range: " + size);
        }
        return ((long) dir << 30) | ((long) size << 16) | ((long) type << 8) | nr;
    }

    public static long io(int nr) {
        return ioc(IOC_NONE, KVMIO, nr, 0);
    }

    public static long ior(int nr, int size) {
        return ioc(IOC_READ, KVMIO, nr, size);
    }

    public static long iow(int nr, int size) {
        return ioc(IOC_WRITE, KVMIO, nr, size);
    }

    public static long iowr(int nr, int size) {
        return ioc(IOC_READ | IOC_WRITE, KVMIO, nr, size);
    }

    // ---- structure sizes (x86-64)
    /** struct kvm_userspace_memory_region: slot, flags, guest_phys_addr, memory_size, userspace_addr. */
    public static final int SIZEOF_USERSPACE_MEMORY_REGION = 32;
    /** struct kvm_regs: rax..r15, rip, rflags. */
    public static final int SIZEOF_REGS = 144;
    /** struct kvm_sregs: 8 segments, gdt, idt, cr0..cr8, efer, apic_base, interrupt bitmap. */
    public static final int SIZEOF_SREGS = 312;
    /** struct kvm_msrs header (nmsrs, pad); entries of 16 bytes follow. */
    public static final int SIZEOF_MSRS_HEADER = 8;
    public static final int SIZEOF_MSR_ENTRY = 16;
    /** struct kvm_cpuid2 header (nent, padding); entries of 40 bytes follow. */
    public static final int SIZEOF_CPUID2_HEADER = 8;
    public static final int SIZEOF_CPUID_ENTRY2 = 40;
    /** struct kvm_xcrs: nr_xcrs, flags, 16 x {xcr, reserved, value}, padding[16]. */
    public static final int SIZEOF_XCRS = 392;
    /** struct kvm_xsave: the XSAVE image in the standard (non-compacted) format. */
    public static final int SIZEOF_XSAVE = 4096;

    // ---- system ioctls (on /dev/kvm)
    public static final long KVM_GET_API_VERSION = io(0x00);
    public static final long KVM_CREATE_VM = io(0x01);
    public static final long KVM_CHECK_EXTENSION = io(0x03);
    public static final long KVM_GET_VCPU_MMAP_SIZE = io(0x04);
    public static final long KVM_GET_SUPPORTED_CPUID = iowr(0x05, SIZEOF_CPUID2_HEADER);

    // ---- VM ioctls
    public static final long KVM_CREATE_VCPU = io(0x41);
    public static final long KVM_SET_USER_MEMORY_REGION = iow(0x46, SIZEOF_USERSPACE_MEMORY_REGION);

    // ---- vCPU ioctls
    public static final long KVM_RUN = io(0x80);
    public static final long KVM_GET_REGS = ior(0x81, SIZEOF_REGS);
    public static final long KVM_SET_REGS = iow(0x82, SIZEOF_REGS);
    public static final long KVM_GET_SREGS = ior(0x83, SIZEOF_SREGS);
    public static final long KVM_SET_SREGS = iow(0x84, SIZEOF_SREGS);
    public static final long KVM_GET_MSRS = iowr(0x88, SIZEOF_MSRS_HEADER);
    public static final long KVM_SET_MSRS = iow(0x89, SIZEOF_MSRS_HEADER);
    public static final long KVM_SET_CPUID2 = iow(0x90, SIZEOF_CPUID2_HEADER);
    public static final long KVM_SET_XCRS = iow(0xa7, SIZEOF_XCRS);
    public static final long KVM_GET_XSAVE = ior(0xa4, SIZEOF_XSAVE);
    public static final long KVM_SET_XSAVE = iow(0xa5, SIZEOF_XSAVE);

    /** The only API version there has ever been; anything else is refused. */
    public static final int KVM_API_VERSION = 12;

    // ---- capabilities (KVM_CHECK_EXTENSION)
    public static final int KVM_CAP_USER_MEMORY = 3;
    public static final int KVM_CAP_EXT_CPUID = 7;
    public static final int KVM_CAP_XCRS = 56;
    public static final int KVM_CAP_SYNC_REGS = 74;
    public static final int KVM_CAP_IMMEDIATE_EXIT = 136;

    // ---- exit reasons
    public static final int KVM_EXIT_UNKNOWN = 0;
    public static final int KVM_EXIT_EXCEPTION = 1;
    public static final int KVM_EXIT_IO = 2;
    public static final int KVM_EXIT_HYPERCALL = 3;
    public static final int KVM_EXIT_DEBUG = 4;
    public static final int KVM_EXIT_HLT = 5;
    public static final int KVM_EXIT_MMIO = 6;
    public static final int KVM_EXIT_SHUTDOWN = 8;
    public static final int KVM_EXIT_FAIL_ENTRY = 9;
    public static final int KVM_EXIT_INTR = 10;
    public static final int KVM_EXIT_INTERNAL_ERROR = 17;

    // ---- struct kvm_run (offsets in the mmap'd page of the vCPU)
    public static final int RUN_IMMEDIATE_EXIT = 1;
    public static final int RUN_EXIT_REASON = 8;
    /** union of exit data; io: direction u8, size u8, port u16, count u32, data_offset u64. */
    public static final int RUN_EXIT_DATA = 32;
    public static final int RUN_IO_PORT = RUN_EXIT_DATA + 2;
    /** mmio: phys_addr u64, data[8], len u32, is_write u8. */
    public static final int RUN_MMIO_PHYS_ADDR = RUN_EXIT_DATA;
    public static final int RUN_MMIO_IS_WRITE = RUN_EXIT_DATA + 20;
    /** fail_entry / internal: first u64 / u32 of the union. */
    public static final int RUN_KVM_VALID_REGS = 288;
    public static final int RUN_KVM_DIRTY_REGS = 296;
    /** struct kvm_sync_regs: regs (144), sregs (312), events. */
    public static final int RUN_SYNC_REGS = 304;
    public static final int RUN_SYNC_SREGS = RUN_SYNC_REGS + SIZEOF_REGS;

    public static final long KVM_SYNC_X86_REGS = 1;
    public static final long KVM_SYNC_X86_SREGS = 2;

    // ---- struct kvm_regs field offsets
    public static final int REG_RAX = 0, REG_RBX = 8, REG_RCX = 16, REG_RDX = 24, REG_RSI = 32, REG_RDI = 40,
            REG_RSP = 48, REG_RBP = 56, REG_R8 = 64, REG_R9 = 72, REG_R10 = 80, REG_R11 = 88, REG_R12 = 96,
            REG_R13 = 104, REG_R14 = 112, REG_R15 = 120, REG_RIP = 128, REG_RFLAGS = 136;

    // ---- struct kvm_sregs field offsets; struct kvm_segment is 24 bytes
    public static final int SREG_CS = 0, SREG_DS = 24, SREG_ES = 48, SREG_FS = 72, SREG_GS = 96, SREG_SS = 120,
            SREG_TR = 144, SREG_LDT = 168, SREG_GDT = 192, SREG_IDT = 208, SREG_CR0 = 224, SREG_CR2 = 232,
            SREG_CR3 = 240, SREG_CR4 = 248, SREG_CR8 = 256, SREG_EFER = 264, SREG_APIC_BASE = 272;

    // ---- MSRs
    public static final int MSR_STAR = 0xC0000081;
    public static final int MSR_LSTAR = 0xC0000082;
    public static final int MSR_CSTAR = 0xC0000083;
    public static final int MSR_SFMASK = 0xC0000084;
    public static final int MSR_FS_BASE = 0xC0000100;
    public static final int MSR_GS_BASE = 0xC0000101;
    public static final int MSR_KERNEL_GS_BASE = 0xC0000102;

    /** Name of an exit reason for messages. */
    public static String exitName(int reason) {
        return switch (reason) {
            case KVM_EXIT_UNKNOWN -> "KVM_EXIT_UNKNOWN";
            case KVM_EXIT_EXCEPTION -> "KVM_EXIT_EXCEPTION";
            case KVM_EXIT_IO -> "KVM_EXIT_IO";
            case KVM_EXIT_HYPERCALL -> "KVM_EXIT_HYPERCALL";
            case KVM_EXIT_DEBUG -> "KVM_EXIT_DEBUG";
            case KVM_EXIT_HLT -> "KVM_EXIT_HLT";
            case KVM_EXIT_MMIO -> "KVM_EXIT_MMIO";
            case KVM_EXIT_SHUTDOWN -> "KVM_EXIT_SHUTDOWN";
            case KVM_EXIT_FAIL_ENTRY -> "KVM_EXIT_FAIL_ENTRY";
            case KVM_EXIT_INTR -> "KVM_EXIT_INTR";
            case KVM_EXIT_INTERNAL_ERROR -> "KVM_EXIT_INTERNAL_ERROR";
            default -> "KVM_EXIT_" + reason;
        };
    }
}
