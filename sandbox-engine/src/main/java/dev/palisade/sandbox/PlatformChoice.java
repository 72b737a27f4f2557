package dev.palisade.sandbox;

/** Which platform runs a sandbox. */
public enum PlatformChoice {
    /** KVM for a static ELF when /dev/kvm works, else ptrace. */
    AUTO,
    PTRACE,
    KVM
}
