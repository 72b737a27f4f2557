/**
 * The Sentry: one implementation of Linux system calls for both platforms. {@link SyscallTable}
 * lists every x86-64 call as data (what ptrace does with it, how much of it KVM implements, its
 * handler), {@link Sentry} is the one dispatch a platform calls at each trapped call, and the
 * handlers, one class per area ({@code SysFile}, {@code SysMmap}, {@code SysSignal}, …), see the
 * call through {@link SyscallContext} and {@link TaskMemory}. Where the Sentry keeps the process
 * itself (KVM) it is a {@link VirtualProcess} with its {@link VirtualThread}s;
 * {@link CoveragePage} generates {@code docs/syscalls.md} from the table.
 */
package dev.palisade.sandbox.sentry;
