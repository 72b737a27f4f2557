package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.abi.SyscallNr;
import dev.palisade.sandbox.nativeinterop.HostMemory;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.HostFile;
import dev.palisade.sandbox.sentry.vfs.OpenFile;

import static dev.palisade.sandbox.platform.kvm.GuestLayout.*;

/**
 * Read-ahead windows for the MMIO path: after a full read(2) of a host file, the Sentry copies
 * the next {@link GuestLayout#WIN_SIZE} bytes into a read-only guest buffer and describes it in
 * the window table; the guest's syscall stub then serves following reads from it without an
 * exit. The file offset the program sees is the host offset plus what the stub consumed; the
 * Sentry folds that in ("sync") before any call that could observe or change an offset or a
 * file, so the windows are invisible except in speed. The table is the program's own memory:
 * whatever it writes there only changes what it reads of its own file, and the consumed count
 * is clamped to the window before use.
 */
final class ReadAhead {
    private final GuestMemory mem;
    private final HostMemory ram;
    private final long table;
    private final OpenFile[] owner = new OpenFile[WIN_FDS];
    private final long[] length = new long[WIN_FDS];
    private final boolean[] mapped = new boolean[WIN_FDS];
    private int active;

    ReadAhead(GuestMachine m) {
        this.mem = m.memory;
        this.ram = m.ram;
        this.table = m.winTablePa;
    }

    /** Calls after which the windows stay valid (nothing they do depends on or moves a file offset). */
    static boolean keeps(int nr) {
        return switch (nr) {
            case SyscallNr.FSTAT, SyscallNr.MMAP, SyscallNr.MPROTECT, SyscallNr.MUNMAP, SyscallNr.BRK,
                    SyscallNr.RT_SIGACTION, SyscallNr.RT_SIGPROCMASK, SyscallNr.MREMAP, SyscallNr.MADVISE,
                    SyscallNr.GETPID, SyscallNr.GETTIMEOFDAY, SyscallNr.GETUID, SyscallNr.GETGID, SyscallNr.GETEUID,
                    SyscallNr.GETEGID, SyscallNr.GETTID, SyscallNr.TIME, SyscallNr.CLOCK_GETTIME, SyscallNr.GETRANDOM -> true;
            default -> false;
        };
    }

    boolean active() {
        return active > 0;
    }

    /** Folds consumed bytes into the file offsets and drops every window. */
    void syncAll() {
        if (active == 0) {
            return;
        }
        for (int fd = 0; fd < WIN_FDS; fd++) {
            OpenFile f = owner[fd];
            if (f == null) {
                continue;
            }
            long e = table + 32L * fd;
            long consumed = Math.max(0, Math.min(ram.getLong(e + 16), length[fd]));
            ram.putLong(e + 8, 0);
            ram.putLong(e + 16, 0);
            owner[fd] = null;
            length[fd] = 0;
            if (consumed > 0) {
                try {
                    f.seek(consumed, 1);
                } catch (FsError ignored) {
                    // a host file always seeks
                }
            }
        }
        active = 0;
    }

    /** After a full read of {@code fd}: fills its window with what follows. */
    void refill(int fd, OpenFile f) {
        if (fd < 0 || fd >= WIN_FDS || !(f instanceof HostFile) || !f.readable()) {
            return;
        }
        long va = WIN_BUF_VA + (long) fd * WIN_SIZE;
        try {
            if (!mapped[fd]) {
                if (!mem.allocator().canAllocateUser(WIN_SIZE / PAGE)) {
                    return;   // no room under the memory limit: plain reads
                }
                mem.map(va, WIN_SIZE, GuestMemory.PROT_READ);
                mapped[fd] = true;
            }
            long pos = f.seek(0, 1);
            long n = f.pread(mem.buffers(va, WIN_SIZE, 0), pos);
            if (n <= 0) {
                return;
            }
            long e = table + 32L * fd;
            ram.putLong(e, va);
            ram.putLong(e + 8, n);
            ram.putLong(e + 16, 0);
            owner[fd] = f;
            length[fd] = n;
            active++;
        } catch (FsError | GuestMemory.Fault ignored) {
            // no window; the next read exits as usual
        }
    }
}
