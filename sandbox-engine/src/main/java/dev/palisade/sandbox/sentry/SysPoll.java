package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.OpenFile;

/**
 * Waiting for descriptors: poll, ppoll, select, pselect6. No exceptional conditions exist here;
 * the wait ({@link ReadyWait}) ends when a file's readiness changes, and early (EINTR, never
 * restarted) when a signal the thread does not block arrives or the sandbox ends.
 */
final class SysPoll {

    private SysPoll() {
    }

    /** Poll implements Linux syscall poll(2). */
    static long poll(SyscallContext c) throws FsError {
        long timeoutMs = (int) c.arg(2);   // an int in the kernel's signature
        return doPoll(c, c.arg(0), c.arg(1), timeoutMs < 0 ? -1 : timeoutMs * 1_000_000L);
    }

    /** Ppoll implements Linux syscall ppoll(2); the signal mask is moot (no signals are delivered). */
    static long ppoll(SyscallContext c) throws FsError {
        long timeout = c.arg(2) == 0 ? -1 : SysArgs.timespec(c.memory(), c.arg(2));
        return doPoll(c, c.arg(0), c.arg(1), timeout);
    }

    private static long doPoll(SyscallContext c, long fds, long nfdsArg, long timeoutNs) throws FsError {
        VirtualProcess p = c.process();
        long nfds = nfdsArg & 0xffff_ffffL;   // an unsigned int in the kernel's signature
        if (nfds > VirtualProcess.MAX_FDS) {
            return Errno.EINVAL.negated();
        }
        if (!SysArgs.userRange(fds, 8 * nfds)) {
            return Errno.EFAULT.negated();
        }
        TaskMemory mem = c.memory();
        long until = timeoutNs < 0 || timeoutNs == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + timeoutNs;
        ReadyWait wait = new ReadyWait(c);
        try {
            return pollLoop(c, p, mem, fds, nfds, until, wait);
        } finally {
            wait.close();
        }
    }

    private static long pollLoop(SyscallContext c, VirtualProcess p, TaskMemory mem, long fds, long nfds, long until,
            ReadyWait wait) {
        while (true) {
            wait.reset();
            int ready = 0;
            for (int i = 0; i < nfds; i++) {
                long e = fds + 8L * i;
                int fd = mem.readInt(e);
                int events = mem.readInt(e + 4) & 0xffff;
                int rev = 0;
                if (fd >= 0) {
                    if (fd >= VirtualProcess.MAX_FDS || p.fds[fd] == null) {
                        rev = OpenFile.POLLNVAL;
                    } else {
                        OpenFile f = p.fds[fd];
                        rev = f.poll() & (events | OpenFile.POLLERR | OpenFile.POLLHUP);
                        wait.add(f, events);
                    }
                }
                mem.write(e + 6, new byte[] {(byte) rev, (byte) (rev >>> 8)});
                if (rev != 0) {
                    ready++;
                }
            }
            if (ready > 0 || System.nanoTime() >= until) {
                return ready;
            }
            if (!wait.await(until)) {
                return Errno.ERESTARTNOHAND.negated();   // EINTR once a handler runs: never restarted, as Linux
            }
        }
    }

    /** Select implements Linux syscall select(2): writes back the time left, as Linux does. */
    static long select(SyscallContext c) throws FsError {
        TaskMemory mem = c.memory();
        long tvVa = c.arg(4);
        long timeout = -1;
        if (tvVa != 0) {
            long sec = mem.readLong(tvVa), usec = mem.readLong(tvVa + 8);
            if (sec < 0 || usec < 0 || usec >= 1_000_000) {
                return Errno.EINVAL.negated();
            }
            timeout = Math.min(sec, 1L << 30) * 1_000_000_000L + usec * 1000;
        }
        long until = timeout < 0 ? Long.MAX_VALUE : System.nanoTime() + timeout;
        long r = doSelect(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3), until);
        if (tvVa != 0 && r >= 0) {
            long left = Math.max(0, until - System.nanoTime());
            mem.writeLong(tvVa, left / 1_000_000_000L);
            mem.writeLong(tvVa + 8, (left % 1_000_000_000L) / 1000);
        }
        return r;
    }

    /** Pselect6 implements Linux syscall pselect6(2); the signal mask is moot (no signals are delivered). */
    static long pselect6(SyscallContext c) throws FsError {
        long until = Long.MAX_VALUE;
        if (c.arg(4) != 0) {
            long t = SysArgs.timespec(c.memory(), c.arg(4));
            until = t >= 1L << 60 ? Long.MAX_VALUE : System.nanoTime() + t;
        }
        return doSelect(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3), until);
    }

    /** select(2) over fd_set bitmaps: readable (or at end/hung up), writable. */
    private static long doSelect(SyscallContext c, long nfdsArg, long readVa, long writeVa, long exceptVa, long until)
            throws FsError {
        VirtualProcess p = c.process();
        int nfdsInt = (int) nfdsArg;   // an int in the kernel's signature
        if (nfdsInt < 0) {
            return Errno.EINVAL.negated();
        }
        int n = Math.min(nfdsInt, VirtualProcess.MAX_FDS);   // Linux cuts nfds to the descriptor table's size
        int words = (n + 63) / 64;
        long[] in = bitmap(c.memory(), readVa, words), out = bitmap(c.memory(), writeVa, words),
                ex = bitmap(c.memory(), exceptVa, words);
        for (int fd = 0; fd < n; fd++) {
            if (isSet(in, fd) || isSet(out, fd) || isSet(ex, fd)) {
                p.file(fd);   // EBADF for a closed descriptor in any set
            }
        }
        ReadyWait wait = new ReadyWait(c);
        try {
            return selectLoop(c, p, n, words, in, out, readVa, writeVa, exceptVa, until, wait);
        } finally {
            wait.close();
        }
    }

    private static long selectLoop(SyscallContext c, VirtualProcess p, int n, int words, long[] in, long[] out,
            long readVa, long writeVa, long exceptVa, long until, ReadyWait wait) throws FsError {
        while (true) {
            wait.reset();
            long[] rIn = new long[words], rOut = new long[words];
            int ready = 0;
            for (int fd = 0; fd < n; fd++) {
                boolean r = isSet(in, fd), w = isSet(out, fd);
                if (!r && !w) {
                    continue;
                }
                OpenFile f = p.file(fd);
                int ev = f.poll();
                if (r && (ev & (OpenFile.POLLIN | OpenFile.POLLHUP | OpenFile.POLLERR)) != 0) {
                    rIn[fd >>> 6] |= 1L << (fd & 63);
                    ready++;
                }
                if (w && (ev & (OpenFile.POLLOUT | OpenFile.POLLERR)) != 0) {
                    rOut[fd >>> 6] |= 1L << (fd & 63);
                    ready++;
                }
                wait.add(f, (r ? OpenFile.POLLIN : 0) | (w ? OpenFile.POLLOUT : 0));
            }
            if (ready > 0 || System.nanoTime() >= until) {
                writeBitmap(c.memory(), readVa, rIn);
                writeBitmap(c.memory(), writeVa, rOut);
                writeBitmap(c.memory(), exceptVa, new long[words]);
                return ready;
            }
            if (!wait.await(until)) {
                return Errno.ERESTARTNOHAND.negated();   // EINTR once a handler runs: never restarted, as Linux
            }
        }
    }

    private static long[] bitmap(TaskMemory mem, long va, int words) {
        long[] b = new long[words];
        if (va != 0) {
            for (int i = 0; i < words; i++) {
                b[i] = mem.readLong(va + 8L * i);
            }
        }
        return b;
    }

    private static void writeBitmap(TaskMemory mem, long va, long[] b) {
        if (va != 0) {
            for (int i = 0; i < b.length; i++) {
                mem.writeLong(va + 8L * i, b[i]);
            }
        }
    }

    private static boolean isSet(long[] b, int fd) {
        return (b[fd >>> 6] & (1L << (fd & 63))) != 0;
    }
}
