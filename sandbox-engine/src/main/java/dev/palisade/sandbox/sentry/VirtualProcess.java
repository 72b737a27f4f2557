package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.HostFile;
import dev.palisade.sandbox.sentry.vfs.OpenFile;
import dev.palisade.sandbox.sentry.vfs.VirtualFs;

import java.util.HashMap;
import java.util.Map;

/**
 * The process the Sentry keeps where no host kernel holds one (KVM): identity, memory map (brk,
 * mmap cursor), file descriptor table, working directory, umask, signal dispositions, the
 * process-wide pending signals and the futex queues. Its threads ({@link VirtualThread}: mask,
 * tid) share it and call into the Sentry at the same time: the descriptor table and the
 * pending set change under this object's monitor, the dispositions are a concurrent map, and
 * the memory-map calls hold {@link #memoryMap} ({@link SysMmap}).
 */
public final class VirtualProcess {
    public static final int MAX_FDS = 1024;
    public static final int PID = 1;
    public static final int UID = 1000;
    public static final int GID = 1000;

    public final AddressSpace mem;
    public final VirtualFs fs;
    public final OpenFile[] fds = new OpenFile[MAX_FDS];
    final boolean[] cloexec = new boolean[MAX_FDS];
    String cwd;
    int umask = 022;
    public long brkStart;
    public long brk;
    long mmapCursor;
    public long stackLow;
    final String execPath;
    /** sigaction per signal: handler, flags, restorer, mask. */
    final Map<Integer, long[]> sigactions = new java.util.concurrent.ConcurrentHashMap<>();
    /** Signals raised and not yet delivered (bit sig-1), and what each carries: si_code, si_addr or sender pid. */
    long pendingSignals;
    final Map<Integer, long[]> pendingInfo = new HashMap<>();
    long nextSocketIno = 1000;
    /** The process's futex queues, shared by its threads. */
    public final Futexes futexes = new Futexes();
    /** Held by the calls that choose and change mappings (mmap, munmap, mprotect, mremap, brk), so two threads' calls do not interleave. */
    final Object memoryMap = new Object();
    /** The file size limit files opened for writing enforce. */
    private final HostFile.SizeLimit sizeLimit;

    public VirtualProcess(AddressSpace mem, VirtualFs fs, String cwd, String execPath, HostFile.SizeLimit sizeLimit) {
        this.mem = mem;
        this.fs = fs;
        this.cwd = cwd;
        this.execPath = execPath;
        this.sizeLimit = sizeLimit;
        this.mmapCursor = mem.mmapTop();
    }

    HostFile.SizeLimit sizeLimit() {
        return sizeLimit;
    }

    /** The open file of a descriptor argument: an unsigned int to the kernel, so only its low 32 bits count. */
    public OpenFile file(long fd) throws FsError {
        int i = (int) fd;
        if (i < 0 || i >= MAX_FDS || fds[i] == null) {
            throw new FsError(Errno.EBADF);
        }
        return fds[i];
    }

    public synchronized int install(OpenFile f, boolean closeOnExec, int lowest) throws FsError {
        for (int i = Math.max(0, lowest); i < MAX_FDS; i++) {
            if (fds[i] == null) {
                fds[i] = f;
                cloexec[i] = closeOnExec;
                return i;
            }
        }
        f.release();
        throw new FsError(Errno.EMFILE);
    }

    synchronized void close(int fd) throws FsError {
        OpenFile f = file(fd);
        fds[fd] = null;
        cloexec[fd] = false;
        f.release();
    }

    public synchronized void closeAll() {
        for (int i = 0; i < MAX_FDS; i++) {
            if (fds[i] != null) {
                OpenFile f = fds[i];
                fds[i] = null;
                f.release();
            }
        }
    }

    /**
     * The child of a fork, in its own address space {@code childMem} (already a copy of this
     * one): the same open files (shared, as Linux shares open file descriptions), cwd, umask,
     * memory layout and dispositions; no pending signals (the calling thread's mask is the platform's to carry).
     */
    public synchronized VirtualProcess forkInto(AddressSpace childMem, HostFile.SizeLimit childLimit) {
        VirtualProcess c = new VirtualProcess(childMem, fs, cwd, execPath, childLimit);
        for (int i = 0; i < MAX_FDS; i++) {
            if (fds[i] != null) {
                fds[i].retain();
                c.fds[i] = fds[i];
                c.cloexec[i] = cloexec[i];
            }
        }
        c.umask = umask;
        c.brkStart = brkStart;
        c.brk = brk;
        c.mmapCursor = mmapCursor;
        c.stackLow = stackLow;
        sigactions.forEach((sig, a) -> c.sigactions.put(sig, a.clone()));
        c.nextSocketIno = nextSocketIno;
        return c;
    }

    /**
     * This process after execve of {@code newExecPath} in the fresh address space {@code newMem}:
     * descriptors without close-on-exec move over (those with it are closed), cwd, umask and the
     * (thread's) mask stay, handled signals go back to their default, ignored ones stay ignored. This object
     * gives up its descriptors.
     */
    public synchronized VirtualProcess execInto(AddressSpace newMem, String newExecPath) {
        VirtualProcess n = new VirtualProcess(newMem, fs, cwd, newExecPath, sizeLimit);
        for (int i = 0; i < MAX_FDS; i++) {
            OpenFile f = fds[i];
            fds[i] = null;
            if (f != null && cloexec[i]) {
                f.release();
            } else if (f != null) {
                n.fds[i] = f;
            }
            cloexec[i] = false;
        }
        n.umask = umask;
        sigactions.forEach((sig, a) -> {
            if (a[0] == 1) {
                n.sigactions.put(sig, new long[] {1, 0, 0, 0});
            }
        });
        n.pendingSignals = pendingSignals;
        n.pendingInfo.putAll(pendingInfo);
        n.nextSocketIno = nextSocketIno;
        return n;
    }

    /** The working directory (a sandbox path). */
    public String cwd() {
        return cwd;
    }

    /** Whether the program ignores a signal (SIG_IGN). */
    public boolean ignores(int sig) {
        long[] a = sigactions.get(sig);
        return a != null && a[0] == 1;
    }

    /**
     * Finds a free range of {@code len} bytes below the mmap cursor (top-down), or -1. Walks the
     * task's mappings, not the pages of the range: the cost is bounded by what it has mapped.
     */
    long findFree(long len) {
        long top = mmapCursor;
        long floor = Math.max(brk + (1L << 30), mem.minUserVa());
        while (top - floor >= len) {
            long start = top - len;
            long conflict = mem.highestMappedBelow(top, start);
            if (conflict < 0) {
                if (top == mmapCursor) {
                    mmapCursor = start;
                }
                return start;
            }
            top = conflict;
        }
        return -1;
    }

    /** After an unmap: pulls the cursor back up over space freed right above it. */
    void released(long start, long len) {
        if (start == mmapCursor) {
            long next = mem.lowestMappedFrom(start + len, mem.mmapTop());
            mmapCursor = next < 0 ? mem.mmapTop() : next;
        }
    }
}
