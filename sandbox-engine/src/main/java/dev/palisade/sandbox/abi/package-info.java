/**
 * The Linux x86-64 constants the engine names, defined once: {@link Errno}, {@link SyscallNr},
 * {@link Signal}, {@link OpenFlags} and {@link Ioctl}. They are checked against the machine's
 * kernel headers by {@code AbiConstantsTest}.
 */
package dev.palisade.sandbox.abi;
