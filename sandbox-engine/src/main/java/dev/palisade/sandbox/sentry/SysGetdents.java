package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.nativeinterop.NativeScratch;

/**
 * The legacy {@code getdents} on ptrace, served by the Sentry on its own duplicate of the
 * program's directory descriptor: it reads with {@code getdents64} and rewrites each record into
 * the old layout. Old glibc (2.17, CentOS 7) reads directories this way on x86-64, so refusing
 * the call would break older images; serving it keeps the old form's kernel code out of reach.
 * A program that made itself not dumpable lends the Sentry no descriptor: EPERM.
 */
final class SysGetdents {
    private static final int NR_GETDENTS64 = 217;
    /** The most one call reads: a directory has more, the program calls again (Linux may return fewer than fit). */
    private static final int MAX_BATCH = 64 * 1024;
    /** The scratch's two-iovec area, then the records. */
    private static final int IOV = 0, DATA = 64;
    /** Where the name starts: {@code linux_dirent64} has {@code d_type} before it, {@code linux_dirent} at the record's end. */
    private static final int NAME64 = 19, NAME = 18, RECLEN = 16;

    private SysGetdents() {
    }

    /**
     * Getdents implements Linux syscall getdents(2). A record of either layout takes
     * {@code ALIGN(20 + name length, 8)} bytes, so a batch read for {@code count} bytes as
     * {@code getdents64} is exactly what {@code getdents} would have returned, and EINVAL for a
     * buffer too small for the first record comes from the kernel as it would.
     */
    static long getdents(SyscallContext c) {
        HostTask t = c.hostTask();
        long dir = t.takeDescriptor((int) c.arg(0));
        if (dir < 0) {
            return dir;
        }
        int count = (int) Math.min(c.arg(2) & 0xffffffffL, MAX_BATCH);
        try (NativeScratch s = new NativeScratch(DATA + Math.max(count, 1))) {
            long n = HostCalls.call(NR_GETDENTS64, dir, s.at(DATA), count);
            if (n <= 0) {
                return n;
            }
            byte[] records = new byte[(int) n];
            s.read(DATA, records, 0, records.length);
            toLegacy(records);
            s.write(DATA, records, 0, records.length);
            long moved = HostCalls.copy(t.hostTid(), true, s.at(IOV), s.at(DATA), c.arg(1), n);
            return moved == n ? n : Errno.EFAULT.negated();
        } finally {
            HostCalls.close(dir);
        }
    }

    /** Rewrites {@code linux_dirent64} records in place as {@code linux_dirent} ones (same lengths). */
    static void toLegacy(byte[] b) {
        int at = 0;
        while (at + NAME64 < b.length) {
            int reclen = (b[at + RECLEN] & 0xff) | (b[at + RECLEN + 1] & 0xff) << 8;
            if (reclen < NAME64 + 1 || at + reclen > b.length) {
                throw new IllegalStateException("getdents64 record of length " + reclen + " at " + at);
            }
            byte type = b[at + NAME64 - 1];
            int end = at + reclen;
            int from = at + NAME64, to = at + NAME;
            while (from < end && b[from] != 0) {
                b[to++] = b[from++];
            }
            while (to < end - 1) {
                b[to++] = 0;
            }
            b[end - 1] = type;
            at = end;
        }
    }
}
