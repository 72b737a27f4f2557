/**
 * The KVM platform: an x86-64 program, static or dynamic with its interpreter, runs in ring 3 of a
 * virtual machine with no guest kernel, and every system call it makes leaves the VM and is
 * carried out by the Sentry in Java. {@link KvmPlatform} is the entry; the package is the
 * mechanism only (building the machine and its page tables, loading the ELF program, the vDSO
 * clock, and the run loop of each process and thread on a vCPU of its own), while the calls
 * themselves are the Sentry's. See {@code docs/kvm.md}.
 */
package dev.palisade.sandbox.platform.kvm;
