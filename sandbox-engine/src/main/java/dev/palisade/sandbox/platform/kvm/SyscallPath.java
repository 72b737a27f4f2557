package dev.palisade.sandbox.platform.kvm;

/**
 * How a guest {@code syscall} instruction reaches the host. Which one works depends on the
 * host's KVM; {@link SyscallPathProbe} tries them at start and keeps the fastest that works.
 */
enum SyscallPath {
    /**
     * Hardware KVM: {@code syscall} enters ring 0 at MSR_LSTAR, where a two-instruction
     * trampoline ({@code out} to a port, then {@code sysretq}) exits to the host and returns.
     * Exceptions reach IDT stubs that report them with another {@code out}.
     */
    HARDWARE_LSTAR("syscall -> ring-0 trampoline (out; sysretq)"),
    /**
     * kvm_pvm: ring-3 {@code syscall} stays in ring 3 and jumps to LSTAR. LSTAR points at an
     * unmapped address and there is no IDT, so the fetch fault becomes a triple fault:
     * KVM_EXIT_SHUTDOWN with every register intact. The host sees rip == LSTAR, performs the call
     * and resumes at rcx with rflags from r11. Faults elsewhere also end in SHUTDOWN; the host
     * tells them apart by rip and cr2 (the vector itself is lost).
     */
    PVM_SHUTDOWN("syscall -> unmapped LSTAR, no IDT -> KVM_EXIT_SHUTDOWN"),
    /**
     * kvm_pvm: LSTAR points at a user page whose one instruction stores to an address no memory
     * slot backs: KVM_EXIT_MMIO. IDT and TSS stay in place, so faults reach handlers with their
     * vector.
     */
    PVM_MMIO("syscall -> user LSTAR stub -> MMIO store -> KVM_EXIT_MMIO");

    final String description;

    SyscallPath(String description) {
        this.description = description;
    }

    boolean hasIdt() {
        return this != PVM_SHUTDOWN;
    }
}
