package dev.palisade.sandbox.nativeinterop;

/** Why {@link VcpuFd#run()} returned. */
public sealed interface VcpuExit {
    /** An {@code in}/{@code out} instruction. */
    record IoOut(int port, boolean write) implements VcpuExit { }

    /** A guest access to a physical address no memory slot backs. */
    record Mmio(long physAddr, boolean write) implements VcpuExit { }

    /** {@code hlt} in ring 0. */
    record Hlt() implements VcpuExit { }

    /** Triple fault: the guest could not deliver an exception. */
    record Shutdown() implements VcpuExit { }

    /** KVM_RUN returned EINTR: a signal or {@code immediate_exit} interrupted it. */
    record Interrupted() implements VcpuExit { }

    /** The hardware refused to enter the guest. */
    record FailEntry(long hardwareReason) implements VcpuExit { }

    /** KVM could not emulate something. */
    record InternalError(int suberror) implements VcpuExit { }

    /** Any other exit reason. */
    record Other(int reason) implements VcpuExit { }

    Hlt HLT = new Hlt();
    Shutdown SHUTDOWN = new Shutdown();
    Interrupted INTERRUPTED = new Interrupted();
}
