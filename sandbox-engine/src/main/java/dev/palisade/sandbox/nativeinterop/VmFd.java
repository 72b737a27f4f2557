package dev.palisade.sandbox.nativeinterop;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/** A virtual machine descriptor: memory slots and vCPUs. */
public final class VmFd implements AutoCloseable {
    private final KvmSystem kvm;
    private final int fd;

    VmFd(KvmSystem kvm, int fd) {
        this.kvm = kvm;
        this.fd = fd;
    }

    /** KVM_SET_USER_MEMORY_REGION: guest physical [gpa, gpa+size) is backed by {@code memory}. */
    public void setUserMemoryRegion(int slot, long gpa, HostMemory memory) {
        try (Memory m = new Memory(KvmIoctls.SIZEOF_USERSPACE_MEMORY_REGION)) {
            m.setInt(0, slot);
            m.setInt(4, 0);
            m.setLong(8, gpa);
            m.setLong(16, memory.size());
            m.setLong(24, memory.address());
            if (KvmNative.ioctl(fd, KvmIoctls.KVM_SET_USER_MEMORY_REGION, Pointer.nativeValue(m)) < 0) {
                throw new KvmException("KVM_SET_USER_MEMORY_REGION", KvmNative.lastError());
            }
        }
    }

    /** Creates vCPU {@code id}; the calling thread should be the one that runs it. */
    public VcpuFd createVcpu(int id) {
        int v = KvmNative.ioctl(fd, KvmIoctls.KVM_CREATE_VCPU, id);
        if (v < 0) {
            throw new KvmException("KVM_CREATE_VCPU", KvmNative.lastError());
        }
        try {
            return new VcpuFd(kvm, v, HostMemory.mapFd(v, kvm.vcpuMmapSize()));
        } catch (RuntimeException e) {
            KvmNative.close(v);
            throw e;
        }
    }

    @Override
    public void close() {
        KvmNative.close(fd);
    }
}
