package dev.palisade.sandbox.nativeinterop;

import dev.palisade.sandbox.abi.OpenFlags;

import com.sun.jna.Memory;

import java.util.ArrayList;
import java.util.List;

/**
 * The system descriptor, {@code /dev/kvm}. Opening it checks the API version and the
 * capabilities the KVM platform cannot do without, so that a host which lacks one is refused up
 * front with a reason instead of failing in the middle of a run.
 */
public final class KvmSystem implements AutoCloseable {
    public static final String DEVICE = "/dev/kvm";

    private final int fd;
    private final int vcpuMmapSize;

    private KvmSystem(int fd) {
        this.fd = fd;
        int version = KvmNative.ioctl(fd, KvmIoctls.KVM_GET_API_VERSION, 0);
        if (version != KvmIoctls.KVM_API_VERSION) {
            KvmNative.close(fd);
            throw new KvmException("KVM API version is " + version + ", expected " + KvmIoctls.KVM_API_VERSION);
        }
        List<String> missing = new ArrayList<>();
        for (int[] cap : new int[][] {
                {KvmIoctls.KVM_CAP_USER_MEMORY}, {KvmIoctls.KVM_CAP_SYNC_REGS},
                {KvmIoctls.KVM_CAP_IMMEDIATE_EXIT}, {KvmIoctls.KVM_CAP_EXT_CPUID}}) {
            if (KvmNative.ioctl(fd, KvmIoctls.KVM_CHECK_EXTENSION, cap[0]) <= 0) {
                missing.add(capName(cap[0]));
            }
        }
        if (!missing.isEmpty()) {
            KvmNative.close(fd);
            throw new KvmException("KVM lacks required capabilities: " + String.join(", ", missing));
        }
        this.vcpuMmapSize = KvmNative.ioctl(fd, KvmIoctls.KVM_GET_VCPU_MMAP_SIZE, 0);
        if (vcpuMmapSize < 4096) {
            KvmNative.close(fd);
            throw new KvmException("KVM_GET_VCPU_MMAP_SIZE", KvmNative.lastError());
        }
    }

    /** Opens /dev/kvm and checks it; throws {@link KvmException} saying why it cannot be used. */
    public static KvmSystem open() {
        int fd = KvmNative.open(DEVICE, OpenFlags.O_RDWR | OpenFlags.O_CLOEXEC);
        if (fd < 0) {
            throw new KvmException("open " + DEVICE, KvmNative.lastError());
        }
        return new KvmSystem(fd);
    }

    static String capName(int cap) {
        return switch (cap) {
            case KvmIoctls.KVM_CAP_USER_MEMORY -> "KVM_CAP_USER_MEMORY";
            case KvmIoctls.KVM_CAP_SYNC_REGS -> "KVM_CAP_SYNC_REGS";
            case KvmIoctls.KVM_CAP_IMMEDIATE_EXIT -> "KVM_CAP_IMMEDIATE_EXIT";
            case KvmIoctls.KVM_CAP_EXT_CPUID -> "KVM_CAP_EXT_CPUID";
            default -> "KVM_CAP_" + cap;
        };
    }

    public int checkExtension(int cap) {
        return KvmNative.ioctl(fd, KvmIoctls.KVM_CHECK_EXTENSION, cap);
    }

    int vcpuMmapSize() {
        return vcpuMmapSize;
    }

    /** KVM_GET_SUPPORTED_CPUID, as a buffer ready for KVM_SET_CPUID2. */
    Memory supportedCpuid() {
        int n = 256;
        Memory m = new Memory(KvmIoctls.SIZEOF_CPUID2_HEADER + (long) n * KvmIoctls.SIZEOF_CPUID_ENTRY2);
        m.clear();
        m.setInt(0, n);
        if (KvmNative.ioctl(fd, KvmIoctls.KVM_GET_SUPPORTED_CPUID, com.sun.jna.Pointer.nativeValue(m)) < 0) {
            throw new KvmException("KVM_GET_SUPPORTED_CPUID", KvmNative.lastError());
        }
        return m;
    }

    public VmFd createVm() {
        int vm = KvmNative.ioctl(fd, KvmIoctls.KVM_CREATE_VM, 0);
        if (vm < 0) {
            throw new KvmException("KVM_CREATE_VM", KvmNative.lastError());
        }
        return new VmFd(this, vm);
    }

    @Override
    public void close() {
        KvmNative.close(fd);
    }
}
