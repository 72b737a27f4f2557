package dev.palisade.sandbox.nativeinterop;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * Raw system calls on native memory for the Sentry's path serving (direct mapping, primitive
 * arguments only): the {@code *at} calls a served call is carried out with, the copy to and from
 * the program's memory, and the per-thread identity of the serving thread. Raw: a result in
 * -4095..-1 is a negated errno, as the kernel returns it.
 */
public final class HostCalls {
    static {
        Native.register(HostCalls.class, NativeLibrary.getInstance("c"));
    }

    public static final int NR_OPENAT = 257, NR_MKDIRAT = 258, NR_NEWFSTATAT = 262, NR_UNLINKAT = 263,
            NR_READLINKAT = 267, NR_STATX = 332, NR_OPENAT2 = 437, NR_FACCESSAT2 = 439, NR_CLOSE = 3, NR_READ = 0,
            NR_FCHDIR = 81, NR_CHROOT = 161, NR_UNSHARE = 272, NR_SETGROUPS = 116, NR_SETRESUID = 117,
            NR_SETRESGID = 119, NR_UMASK = 95, NR_FSTATFS = 138, NR_MKNODAT = 259, NR_FCHOWNAT = 260, NR_LINKAT = 265,
            NR_SYMLINKAT = 266, NR_UTIMENSAT = 280, NR_RENAMEAT2 = 316, NR_FCHMODAT2 = 452, NR_FTRUNCATE = 77, NR_PRLIMIT64 = 302;
    public static final long CLONE_FS = 0x200;

    private HostCalls() {
    }

    private static native long syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

    private static native long process_vm_readv(int pid, long localIov, long liovcnt, long remoteIov, long riovcnt, long flags);

    private static native long process_vm_writev(int pid, long localIov, long liovcnt, long remoteIov, long riovcnt, long flags);

    /** A system call with the kernel's return convention: -errno on failure. */
    public static long call(long nr, long a0, long a1, long a2, long a3, long a4) {
        return call(nr, a0, a1, a2, a3, a4, 0);
    }

    public static long call(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
        long r = syscall(nr, a0, a1, a2, a3, a4, a5);
        return r == -1 ? -Native.getLastError() : r;
    }

    public static long call(long nr, long a0, long a1, long a2, long a3) {
        return call(nr, a0, a1, a2, a3, 0);
    }

    public static long call(long nr, long a0, long a1, long a2) {
        return call(nr, a0, a1, a2, 0, 0);
    }

    /** mknodat(AT_FDCWD, path, mode, 0) on a host path (a socket or FIFO node): 0 or -errno. */
    public static long mknod(String path, long mode) {
        byte[] b = path.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        com.sun.jna.Memory m = new com.sun.jna.Memory(b.length + 1L);
        m.write(0, b, 0, b.length);
        m.setByte(b.length, (byte) 0);
        long r = call(NR_MKNODAT, -100 /* AT_FDCWD */, com.sun.jna.Pointer.nativeValue(m), mode, 0);
        java.lang.ref.Reference.reachabilityFence(m);
        return r;
    }

    /** Closes a descriptor of this process, ignoring errors. */
    public static void close(long fd) {
        if (fd >= 0) {
            syscall(NR_CLOSE, fd, 0, 0, 0, 0, 0);
        }
    }

    /**
     * Copies {@code len} bytes between this process's {@code local} and {@code remote} in task
     * {@code tid} through the two-iovec area at {@code iov} (32 bytes); the count moved, or -errno.
     */
    public static long copy(int tid, boolean toTask, long iov, long local, long remote, long len) {
        new com.sun.jna.Pointer(iov).write(0, new long[] {local, len, remote, len}, 0, 4);
        long r = toTask ? process_vm_writev(tid, iov, 1, iov + 16, 1, 0) : process_vm_readv(tid, iov, 1, iov + 16, 1, 0);
        return r < 0 ? -Native.getLastError() : r;
    }
}
