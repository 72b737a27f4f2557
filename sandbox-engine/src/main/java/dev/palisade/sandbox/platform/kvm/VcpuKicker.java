package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.nativeinterop.KvmNative;
import dev.palisade.sandbox.nativeinterop.VcpuFd;

/**
 * Interrupts the KVM_RUN of one vCPU from another thread: sets {@code immediate_exit} (so a
 * KVM_RUN about to start returns at once) and signals the vCPU thread (so one in progress
 * returns with EINTR). The signal is SIGXFSZ, which the JVM's own handler ignores.
 */
final class VcpuKicker {
    private final VcpuFd vcpu;
    private final int tid;
    private volatile boolean closed;

    /** Call on the vCPU thread. */
    VcpuKicker(VcpuFd vcpu) {
        this.vcpu = vcpu;
        this.tid = KvmNative.gettid();
    }

    synchronized void kick() {
        if (!closed) {
            vcpu.setImmediateExit(true);
            VcpuFd.kick(tid);
        }
    }

    /** Call on the vCPU thread before the vCPU is closed. */
    synchronized void close() {
        closed = true;
    }
}
