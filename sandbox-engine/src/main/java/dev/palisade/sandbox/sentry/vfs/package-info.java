/**
 * The files the Sentry keeps for a program, chiefly on the KVM platform, where every file call is
 * its own. {@link VirtualFs} is the filesystem the program sees (a read-only root, a writable
 * {@code /workspace} and {@code /tmp}, binds, a synthetic {@code /dev}), resolving paths in Java
 * inside the sandbox's root; {@link OpenFile} is an open file description, whose kinds are host
 * files and directories, pipes ({@link ByteQueue}), devices and a synthetic {@code /proc}
 * ({@link ProcFs}). {@link DiskBound}, {@link FileLocks} and {@link WaitQueue} keep what the kernel
 * would keep for these files: the disk bound of fresh mounts, flock locks and readiness waiters.
 */
package dev.palisade.sandbox.sentry.vfs;
