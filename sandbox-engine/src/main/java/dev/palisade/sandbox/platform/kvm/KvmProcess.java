package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.OpenFile;
import dev.palisade.sandbox.sentry.vfs.VirtualFs;

import java.util.HashMap;
import java.util.Map;

/**
 * The virtual process the Sentry keeps for one guest program: its memory map (brk, mmap
 * cursor), file descriptor table, working directory, umask and signal dispositions.
 */
final class KvmProcess {
    static final int MAX_FDS = 1024;
    static final int PID = 1;
    static final int UID = 1000;
    static final int GID = 1000;

    final GuestMemory mem;
    final VirtualFs fs;
    final OpenFile[] fds = new OpenFile[MAX_FDS];
    final boolean[] cloexec = new boolean[MAX_FDS];
    String cwd;
    int umask = 022;
    long brkStart;
    long brk;
    long mmapCursor = GuestLayout.MMAP_TOP;
    long stackLow;
    final String execPath;
    /** sigaction per signal: handler, flags, restorer, mask. */
    final Map<Integer, long[]> sigactions = new HashMap<>();
    long sigmask;

    KvmProcess(GuestMemory mem, VirtualFs fs, String cwd, String execPath) {
        this.mem = mem;
        this.fs = fs;
        this.cwd = cwd;
        this.execPath = execPath;
    }

    OpenFile file(long fd) throws FsError {
        if (fd < 0 || fd >= MAX_FDS || fds[(int) fd] == null) {
            throw new FsError(Errno.EBADF);
        }
        return fds[(int) fd];
    }

    int install(OpenFile f, boolean closeOnExec, int lowest) throws FsError {
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

    void close(int fd) throws FsError {
        OpenFile f = file(fd);
        fds[fd] = null;
        cloexec[fd] = false;
        f.release();
    }

    void closeAll() {
        for (int i = 0; i < MAX_FDS; i++) {
            if (fds[i] != null) {
                OpenFile f = fds[i];
                fds[i] = null;
                f.release();
            }
        }
    }

    /** Whether the program ignores a signal (SIG_IGN). */
    boolean ignores(int sig) {
        long[] a = sigactions.get(sig);
        return a != null && a[0] == 1;
    }

    /**
     * Finds a free range of {@code len} bytes below the mmap cursor (top-down, first fit), or -1.
     * Looks only at the pages mapped in the area, never page by page through the range.
     */
    long findFree(long len) {
        long floor = Math.max(brk + (1L << 30), GuestLayout.MIN_USER_VA);
        long hi = mmapCursor;
        if (len <= 0 || hi - floor < len) {
            return -1;
        }
        if (mem.isFree(hi - len, len)) {   // the usual case: right below the last mapping
            mmapCursor = hi - len;
            return mmapCursor;
        }
        long[] used = mem.mappedIn(floor, hi);
        for (int i = used.length - 1; i >= -1; i--) {
            long lo = i >= 0 ? (used[i] << 12) + GuestLayout.PAGE : floor;
            if (hi - lo >= len) {
                long start = hi - len;
                if (hi == mmapCursor) {
                    mmapCursor = start;
                }
                return start;
            }
            if (i >= 0) {
                hi = used[i] << 12;
            }
        }
        return -1;
    }

    /** After an unmap: pulls the cursor back up over space freed right above it. */
    void released(long start, long len) {
        if (start == mmapCursor) {
            long c = start + len;
            if (c < GuestLayout.MMAP_TOP && !mem.isMapped(c)) {
                long[] above = mem.mappedIn(c, GuestLayout.MMAP_TOP);
                c = above.length == 0 ? GuestLayout.MMAP_TOP : above[0] << 12;
            }
            mmapCursor = c;
        }
    }
}
