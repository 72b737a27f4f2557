package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.SyscallNr;
import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.nativeinterop.NativeScratch;
import dev.palisade.sandbox.sentry.vfs.FsError;

import java.nio.charset.StandardCharsets;

import static dev.palisade.sandbox.abi.OpenFlags.AT_EMPTY_PATH;
import static dev.palisade.sandbox.abi.OpenFlags.AT_FDCWD;
import static dev.palisade.sandbox.abi.OpenFlags.AT_REMOVEDIR;
import static dev.palisade.sandbox.abi.OpenFlags.AT_SYMLINK_NOFOLLOW;
import static dev.palisade.sandbox.abi.OpenFlags.O_CLOEXEC;
import static dev.palisade.sandbox.abi.OpenFlags.O_CREAT;
import static dev.palisade.sandbox.abi.OpenFlags.O_DIRECTORY;
import static dev.palisade.sandbox.abi.OpenFlags.O_NOFOLLOW;
import static dev.palisade.sandbox.abi.OpenFlags.O_NONBLOCK;
import static dev.palisade.sandbox.abi.OpenFlags.O_PATH;
import static dev.palisade.sandbox.abi.OpenFlags.O_TRUNC;
import static dev.palisade.sandbox.abi.OpenFlags.O_WRONLY;

/**
 * The path calls the Sentry serves where the host kernel keeps the files (ptrace, through
 * seccomp user notification). Each reads its path once from the program's memory into the
 * Sentry's, checks that the call still waits, and carries it out with the {@code *at} call of
 * the same meaning on a descriptor the Sentry holds: the serving thread's root is the sandbox's
 * root and its identity the program's, so {@code ..} and absolute symlinks stop at the sandbox's
 * root, and no string the program can still change reaches the host. Opens go through
 * {@code openat2} with {@code RESOLVE_NO_MAGICLINKS} and install the descriptor in the program;
 * the program's {@code /proc/self} (and {@code /dev/fd}, {@code /dev/std*}) name its own entries
 * in the sandbox's {@code /proc}, and only its own {@code fd/N} and {@code exe} links are
 * reopened, through the host's {@code /proc} entry of the calling thread.
 *
 * <p>An {@code O_PATH} open is resolved and checked here, then let run by the kernel in the
 * program ({@code SECCOMP_USER_NOTIF_FLAG_CONTINUE}), which re-reads the path: Linux installs no
 * {@code O_PATH} file from another process. A path changed meanwhile gets an {@code O_PATH}
 * descriptor of something in the program's own root at its own identity, which reads and writes
 * nothing; every later use of it by path ({@code /proc/self/fd/N}, a dirfd) is served and
 * checked again.
 */
final class SysPath {
    /**
     * Scratch layout: iovecs, open_how, an empty string, times, stat results, names in /proc, the
     * path, a second path, a link target, a /proc file.
     */
    private static final int IOV = 0, HOW = 64, EMPTY = 120, TIMES = 128, OUT = 256, NAME = 768, PATH = 1280,
            PATH2 = 5632, LINK = 9984, STATUS = 14336;
    /** Bytes of scratch the layout needs. */
    static final int SCRATCH = 18432;
    private static final int PATH_MAX = 4096, PAGE = 4096, FIRST_READ = 256, STAT_SIZE = 144, STATX_SIZE = 256, STATFS_SIZE = 120,
            OPEN_HOW_SIZE = 24;
    private static final long RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_BENEATH = 0x08, RESOLVE_IN_ROOT = 0x10;
    /** Flags open(2) knows; it ignores the rest where openat2(2) refuses them. */
    private static final int VALID_OPEN_FLAGS = 03 | 0100 | 0200 | 0400 | 01000 | 02000 | 04000 | 010000 | 020000 | 040000
            | 0100000 | 0200000 | 0400000 | 01000000 | 02000000 | 04000000 | 010000000 | 020000000;
    private static final int O_TMPFILE_BIT = 020000000;

    private SysPath() {
    }

    // ------------------------------------------------------------------ open

    /** Open implements Linux syscall open(2). */
    static long open(SyscallContext c) throws FsError {
        return open(c, AT_FDCWD, c.arg(0), legacyFlags(c.arg(1)), c.arg(2), 0, true);
    }

    /** Openat implements Linux syscall openat(2). */
    static long openat(SyscallContext c) throws FsError {
        return open(c, c.arg(0), c.arg(1), legacyFlags(c.arg(2)), c.arg(3), 0, true);
    }

    /** Creat implements Linux syscall creat(2). */
    static long creat(SyscallContext c) throws FsError {
        return open(c, AT_FDCWD, c.arg(0), O_CREAT | O_WRONLY | O_TRUNC, c.arg(1), 0, true);
    }

    /** Openat2 implements Linux syscall openat2(2): the program's resolve flags hold, with no magic links. */
    static long openat2(SyscallContext c) throws FsError {
        long size = c.arg(3);
        if (size < OPEN_HOW_SIZE) {
            return Errno.EINVAL.negated();
        }
        if (size > PAGE) {
            return Errno.E2BIG.negated();
        }
        byte[] how = c.memory().read(c.arg(2), (int) size);
        for (int i = OPEN_HOW_SIZE; i < how.length; i++) {
            if (how[i] != 0) {
                return Errno.E2BIG.negated();
            }
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(how).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long flags = b.getLong(0), mode = b.getLong(8), resolve = b.getLong(16);
        return open(c, c.arg(0), c.arg(1), flags, mode, resolve, false);
    }

    /** What open(2) and openat(2) make of their flags and mode before the kernel's stricter openat2 sees them. */
    private static long legacyFlags(long flags) {
        int fl = (int) flags & VALID_OPEN_FLAGS;
        if ((fl & O_PATH) != 0) {
            fl &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        }
        return fl & 0xffffffffL;
    }

    private static boolean creates(long flags) {
        return (flags & O_CREAT) != 0 || (flags & O_TMPFILE_BIT) == O_TMPFILE_BIT;
    }

    private static long open(SyscallContext c, long dirfd, long pathVa, long flags, long mode, long resolve, boolean legacy)
            throws FsError {
        HostTask t = c.hostTask();
        byte[] path = readPath(t, pathVa, PATH);
        if (!t.stillValid()) {
            return Handler.ANSWERED;
        }
        if (path.length == 0) {
            return Errno.ENOENT.negated();
        }
        if (legacy && !creates(flags)) {
            mode = 0; // open(2) ignores it, openat2(2) refuses it
        } else if (legacy) {
            mode &= 07777;
        }
        if (creates(flags)) {
            programUmask(t);
        }
        NativeScratch s = t.scratch();
        Where w = where(t, dirfd, path, PATH, resolve == 0);
        path = w.path();
        dirfd = w.dirfd();
        String ownLink = resolve == 0 ? ownLink(t, path) : null;
        long fd;
        if (ownLink != null) {
            // the program's own descriptor or executable, reopened as Linux does for /proc/self/fd/N
            putPath(s, PATH, ownLink.getBytes(StandardCharsets.US_ASCII));
            fd = HostCalls.call(HostCalls.NR_OPENAT, t.hostProc(), s.at(PATH), (flags | O_CLOEXEC) & 0xffffffffL, mode);
        } else {
            // the program's own RESOLVE_BENEATH or RESOLVE_IN_ROOT keeps the lookup under its dirfd, rootless too
            boolean underDirfd = (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) != 0;
            Lookup l = underDirfd ? new Lookup(base(t, dirfd, path, true), -1, path) : lookup(t, w, PATH, Last.OPENED, 0);
            try {
                s.putLong(HOW, flags | O_CLOEXEC);
                s.putLong(HOW + 8, mode);
                s.putLong(HOW + 16, resolve | RESOLVE_NO_MAGICLINKS | (underDirfd ? 0 : inRoot(t)));
                fd = HostCalls.call(HostCalls.NR_OPENAT2, l.base(), s.at(PATH), s.at(HOW), OPEN_HOW_SIZE, 0);
            } finally {
                l.release();
            }
        }
        if (fd < 0) {
            return fd;
        }
        try {
            if (!procEntryOffered(t, fd)) {
                return Errno.ENOENT.negated();
            }
            if ((flags & O_PATH) != 0) {
                // the kernel installs no O_PATH file from another process (ADDFD takes it with fget):
                // checked here, opened by the kernel in the program, which can reach nothing more by it
                return Handler.RUN_NATIVELY;
            }
            return t.install((int) fd, (flags & O_CLOEXEC) != 0);
        } finally {
            HostCalls.close(fd);
        }
    }

    /** Top-level entries of the sandbox's {@code /proc} a program may open, besides its pid space's. */
    private static final java.util.Set<String> PROC_OFFERED = java.util.Set.of("cpuinfo", "meminfo", "stat", "loadavg",
            "uptime", "version", "filesystems", "mounts", "self", "thread-self", "net", "cgroups", "swaps");
    private static final long PROC_SUPER_MAGIC = 0x9fa0;

    /**
     * Whether a descriptor the Sentry opened may go to the program: anything not on a procfs, and
     * of the sandbox's {@code /proc} the directory itself, its processes' entries and the few
     * files above. Nothing of {@code /proc/sys}, {@code /proc/kcore} and the like.
     */
    private static boolean procEntryOffered(HostTask t, long fd) {
        NativeScratch s = t.scratch();
        if (HostCalls.call(HostCalls.NR_FSTATFS, fd, s.at(OUT), 0) != 0 || s.getLong(OUT) != PROC_SUPER_MAGIC) {
            return true;
        }
        byte[] name = ("self/fd/" + fd).getBytes(StandardCharsets.US_ASCII);
        s.write(NAME, name, 0, name.length);
        s.putByte(NAME + name.length, (byte) 0);
        long n = HostCalls.call(HostCalls.NR_READLINKAT, t.hostProc(), s.at(NAME), s.at(LINK), PATH_MAX);
        if (n <= 0) {
            return false;
        }
        byte[] b = new byte[(int) n];
        s.read(LINK, b, 0, (int) n);
        String at = new String(b, StandardCharsets.ISO_8859_1);
        if (at.equals("/proc")) {
            return true;
        }
        if (!at.startsWith("/proc/")) {
            return false;
        }
        String rest = at.substring(6);
        int slash = rest.indexOf('/');
        String top = slash < 0 ? rest : rest.substring(0, slash);
        return PROC_OFFERED.contains(top) || (!top.isEmpty() && top.chars().allMatch(ch -> ch >= '0' && ch <= '9'));
    }

    // ------------------------------------------------------------------ stat, access, readlink

    /** Stat implements Linux syscall stat(2). */
    static long stat(SyscallContext c) throws FsError {
        return fstatat(c, AT_FDCWD, c.arg(0), c.arg(1), 0);
    }

    /** Lstat implements Linux syscall lstat(2). */
    static long lstat(SyscallContext c) throws FsError {
        return fstatat(c, AT_FDCWD, c.arg(0), c.arg(1), AT_SYMLINK_NOFOLLOW);
    }

    /** Newfstatat implements Linux syscall newfstatat(2). */
    static long newfstatat(SyscallContext c) throws FsError {
        return fstatat(c, c.arg(0), c.arg(1), c.arg(2), (int) c.arg(3));
    }

    private static long fstatat(SyscallContext c, long dirfd, long pathVa, long bufVa, int flags) throws FsError {
        HostTask t = c.hostTask();
        return onePath(t, dirfd, pathVa, flags, false, Last.FOLLOWED, (base, path) -> {
            long r = HostCalls.call(HostCalls.NR_NEWFSTATAT, base, path, t.scratch().at(OUT), flags & 0xffffffffL);
            if (r < 0) {
                return r;
            }
            owner(t, OUT + 28);
            return copyOut(t, bufVa, OUT, STAT_SIZE, 0);
        });
    }

    /** The uid and gid at {@code at} of the scratch (a stat's or a statx's, one after the other) as the sandbox sees them. */
    private static void owner(HostTask t, int at) {
        NativeScratch s = t.scratch();
        s.putInt(at, t.idInSandbox(s.getInt(at), false));
        s.putInt(at + 4, t.idInSandbox(s.getInt(at + 4), true));
    }

    /** Statx implements Linux syscall statx(2). */
    static long statx(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        int flags = (int) c.arg(2);
        long mask = c.arg(3) & 0xffffffffL, bufVa = c.arg(4);
        return onePath(t, c.arg(0), c.arg(1), flags, false, Last.FOLLOWED, (base, path) -> {
            long r = HostCalls.call(HostCalls.NR_STATX, base, path, flags & 0xffffffffL, mask, t.scratch().at(OUT));
            if (r < 0) {
                return r;
            }
            owner(t, OUT + 20);
            return copyOut(t, bufVa, OUT, STATX_SIZE, 0);
        });
    }

    /** Statfs implements Linux syscall statfs(2): the filesystem of a file the Sentry opened. */
    static long statfs(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        long bufVa = c.arg(1);
        return onePath(t, AT_FDCWD, c.arg(0), 0, false, Last.OPENED, (base, path) -> {
            long fd = openPath(t, base, path, 0);
            if (fd < 0) {
                return fd;
            }
            try {
                long r = HostCalls.call(HostCalls.NR_FSTATFS, fd, t.scratch().at(OUT), 0);
                return r < 0 ? r : copyOut(t, bufVa, OUT, STATFS_SIZE, 0);
            } finally {
                HostCalls.close(fd);
            }
        });
    }

    /** inotify_add_watch's mask bits that change the lookup of its path. */
    private static final long IN_ONLYDIR = 0x01000000L, IN_DONT_FOLLOW = 0x02000000L;
    /** The serving thread's root, which is the sandbox's. */
    private static final byte[] ROOT = {'/'};

    /**
     * Inotify_add_watch implements Linux syscall inotify_add_watch(2). The Sentry resolves the
     * path and adds the watch itself, on the program's own inotify instance (a duplicate of its
     * descriptor: the same open file, so the watch and its events are the program's), naming to
     * the kernel only the file it opened, by that descriptor in the host's {@code /proc}.
     */
    static long inotifyAddWatch(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        long mask = c.arg(2) & 0xffffffffL;
        long instance = t.takeDescriptor((int) c.arg(0));
        try {
            // the kernel's own checks of the mask and the descriptor, in its order, come before the path's:
            // with an empty path, a call that passes them fails ENOENT
            NativeScratch s = t.scratch();
            s.putByte(EMPTY, (byte) 0);
            long probe = HostCalls.call(SyscallNr.INOTIFY_ADD_WATCH, instance < 0 ? -1 : instance, s.at(EMPTY), mask);
            if (probe != Errno.ENOENT.negated()) {
                return instance < 0 && probe == Errno.EBADF.negated() ? instance : probe;
            }
            int follow = ((mask & IN_DONT_FOLLOW) != 0 ? O_NOFOLLOW : 0) | ((mask & IN_ONLYDIR) != 0 ? O_DIRECTORY : 0);
            return onePath(t, AT_FDCWD, c.arg(1), 0, false, Last.OPENED, (base, path) -> {
                long file = openPath(t, base, path, follow);
                if (file < 0) {
                    return file;
                }
                try {
                    return watchByDescriptor(t, instance, file, mask & ~IN_DONT_FOLLOW);
                } finally {
                    HostCalls.close(file);
                }
            });
        } finally {
            release(instance);
        }
    }

    /**
     * Adds the watch on the file the Sentry holds as {@code file}: the call takes no directory
     * descriptor, so the path is {@code self/fd/N} from the host's {@code /proc}, made the serving
     * thread's working directory for that one call (its own lookups use descriptors or its root).
     */
    private static long watchByDescriptor(HostTask t, long instance, long file, long mask) throws FsError {
        NativeScratch s = t.scratch();
        putPath(s, NAME, ("self/fd/" + file).getBytes(StandardCharsets.US_ASCII));
        long r = HostCalls.call(HostCalls.NR_FCHDIR, t.hostProc(), 0, 0);
        if (r < 0) {
            return r;
        }
        try {
            return HostCalls.call(SyscallNr.INOTIFY_ADD_WATCH, instance, s.at(NAME), mask);
        } finally {
            putPath(s, NAME, ROOT);
            HostCalls.call(SyscallNr.CHDIR, s.at(NAME), 0, 0);
        }
    }

    /** Access implements Linux syscall access(2). */
    static long access(SyscallContext c) throws FsError {
        return faccessat(c, AT_FDCWD, c.arg(0), c.arg(1), 0);
    }

    /** Faccessat implements Linux syscall faccessat(2) (no flags argument). */
    static long faccessat(SyscallContext c) throws FsError {
        return faccessat(c, c.arg(0), c.arg(1), c.arg(2), 0);
    }

    /** Faccessat2 implements Linux syscall faccessat2(2). */
    static long faccessat2(SyscallContext c) throws FsError {
        return faccessat(c, c.arg(0), c.arg(1), c.arg(2), (int) c.arg(3));
    }

    private static long faccessat(SyscallContext c, long dirfd, long pathVa, long mode, int flags) throws FsError {
        return onePath(c.hostTask(), dirfd, pathVa, flags, false, Last.FOLLOWED,
                (base, path) -> HostCalls.call(HostCalls.NR_FACCESSAT2, base, path, mode & 0xffffffffL, flags & 0xffffffffL));
    }

    /** Readlink implements Linux syscall readlink(2). */
    static long readlink(SyscallContext c) throws FsError {
        return readlinkat(c, AT_FDCWD, c.arg(0), c.arg(1), c.arg(2));
    }

    /** Readlinkat implements Linux syscall readlinkat(2). */
    static long readlinkat(SyscallContext c) throws FsError {
        return readlinkat(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3));
    }

    private static long readlinkat(SyscallContext c, long dirfd, long pathVa, long bufVa, long size) throws FsError {
        int n = (int) size;
        if (n <= 0 || size != n) {
            return Errno.EINVAL.negated();
        }
        HostTask t = c.hostTask();
        return onePath(t, dirfd, pathVa, AT_EMPTY_PATH, false, Last.NOT_FOLLOWED, (base, path) -> {
            long r = HostCalls.call(HostCalls.NR_READLINKAT, base, path, t.scratch().at(LINK), Math.min(n, PATH_MAX));
            return r <= 0 ? r : copyOut(t, bufVa, LINK, (int) r, r);
        });
    }

    // ------------------------------------------------------------------ changes: mkdir, unlink, rename, links, modes, times

    /** Mkdir implements Linux syscall mkdir(2). */
    static long mkdir(SyscallContext c) throws FsError {
        return mkdirat(c, AT_FDCWD, c.arg(0), c.arg(1));
    }

    /** Mkdirat implements Linux syscall mkdirat(2). */
    static long mkdirat(SyscallContext c) throws FsError {
        return mkdirat(c, c.arg(0), c.arg(1), c.arg(2));
    }

    private static long mkdirat(SyscallContext c, long dirfd, long pathVa, long mode) throws FsError {
        return onePath(c.hostTask(), dirfd, pathVa, 0, true, Last.NAMED,
                (base, path) -> HostCalls.call(HostCalls.NR_MKDIRAT, base, path, mode & 07777));
    }

    /** Mknod implements Linux syscall mknod(2): FIFOs and sockets; device nodes need a capability the Sentry's thread lacks too. */
    static long mknod(SyscallContext c) throws FsError {
        return mknodat(c, AT_FDCWD, c.arg(0), c.arg(1), c.arg(2));
    }

    /** Mknodat implements Linux syscall mknodat(2). */
    static long mknodat(SyscallContext c) throws FsError {
        return mknodat(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3));
    }

    private static long mknodat(SyscallContext c, long dirfd, long pathVa, long mode, long dev) throws FsError {
        return onePath(c.hostTask(), dirfd, pathVa, 0, true, Last.NAMED,
                (base, path) -> HostCalls.call(HostCalls.NR_MKNODAT, base, path, mode & 0xffffffffL, dev & 0xffffffffL));
    }

    /** Unlink implements Linux syscall unlink(2). */
    static long unlink(SyscallContext c) throws FsError {
        return unlinkat(c, AT_FDCWD, c.arg(0), 0);
    }

    /** Rmdir implements Linux syscall rmdir(2). */
    static long rmdir(SyscallContext c) throws FsError {
        return unlinkat(c, AT_FDCWD, c.arg(0), AT_REMOVEDIR);
    }

    /** Unlinkat implements Linux syscall unlinkat(2). */
    static long unlinkat(SyscallContext c) throws FsError {
        return unlinkat(c, c.arg(0), c.arg(1), c.arg(2));
    }

    private static long unlinkat(SyscallContext c, long dirfd, long pathVa, long flags) throws FsError {
        return onePath(c.hostTask(), dirfd, pathVa, 0, false, Last.NAMED,
                (base, path) -> HostCalls.call(HostCalls.NR_UNLINKAT, base, path, flags & 0xffffffffL));
    }

    /** Chmod implements Linux syscall chmod(2). */
    static long chmod(SyscallContext c) throws FsError {
        return fchmodat(c, AT_FDCWD, c.arg(0), c.arg(1), 0);
    }

    /** Fchmodat implements Linux syscall fchmodat(2). */
    static long fchmodat(SyscallContext c) throws FsError {
        return fchmodat(c, c.arg(0), c.arg(1), c.arg(2), 0);
    }

    /** Fchmodat2 implements Linux syscall fchmodat2(2). */
    static long fchmodat2(SyscallContext c) throws FsError {
        return fchmodat(c, c.arg(0), c.arg(1), c.arg(2), (int) c.arg(3));
    }

    private static long fchmodat(SyscallContext c, long dirfd, long pathVa, long mode, int flags) throws FsError {
        return onePath(c.hostTask(), dirfd, pathVa, flags, false, Last.FOLLOWED,
                (base, path) -> HostCalls.call(HostCalls.NR_FCHMODAT2, base, path, mode & 0xffffffffL, flags & 0xffffffffL));
    }

    /** Chown implements Linux syscall chown(2). */
    static long chown(SyscallContext c) throws FsError {
        return fchownat(c, AT_FDCWD, c.arg(0), c.arg(1), c.arg(2), 0);
    }

    /** Lchown implements Linux syscall lchown(2). */
    static long lchown(SyscallContext c) throws FsError {
        return fchownat(c, AT_FDCWD, c.arg(0), c.arg(1), c.arg(2), AT_SYMLINK_NOFOLLOW);
    }

    /** Fchownat implements Linux syscall fchownat(2). */
    static long fchownat(SyscallContext c) throws FsError {
        return fchownat(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3), (int) c.arg(4));
    }

    private static long fchownat(SyscallContext c, long dirfd, long pathVa, long uidArg, long gidArg, int flags) throws FsError {
        HostTask t = c.hostTask();
        // -1 leaves an id as it is; any other the sandbox has no mapping for is EINVAL, as the kernel answers
        long uid = (int) uidArg == -1 ? uidArg : t.idOnHost((int) uidArg, false);
        long gid = (int) gidArg == -1 ? gidArg : t.idOnHost((int) gidArg, true);
        if ((int) uid == -1 && (int) uidArg != -1 || (int) gid == -1 && (int) gidArg != -1) {
            return Errno.EINVAL.negated();
        }
        return onePath(c.hostTask(), dirfd, pathVa, flags, false, Last.FOLLOWED, (base, path) -> HostCalls.call(HostCalls.NR_FCHOWNAT,
                base, path, uid & 0xffffffffL, gid & 0xffffffffL, flags & 0xffffffffL));
    }

    /** Utime implements Linux syscall utime(2): struct utimbuf, seconds. */
    static long utime(SyscallContext c) throws FsError {
        return utimes(c, AT_FDCWD, c.arg(0), c.arg(1), 1, 0);
    }

    /** Utimes implements Linux syscall utimes(2): struct timeval[2]. */
    static long utimes(SyscallContext c) throws FsError {
        return utimes(c, AT_FDCWD, c.arg(0), c.arg(1), 2, 0);
    }

    /** Futimesat implements Linux syscall futimesat(2): struct timeval[2]. */
    static long futimesat(SyscallContext c) throws FsError {
        return utimes(c, c.arg(0), c.arg(1), c.arg(2), 2, 0);
    }

    /** Utimensat implements Linux syscall utimensat(2) with a path (without one, the filter lets it run: it names no path). */
    static long utimensat(SyscallContext c) throws FsError {
        return utimes(c, c.arg(0), c.arg(1), c.arg(2), 3, (int) c.arg(3));
    }

    /**
     * The times a program gave, as utimensat's timespec[2] in the scratch: {@code kind} 1 a
     * utimbuf (seconds), 2 timeval[2], 3 timespec[2]; null times (now) stay null.
     */
    private static long utimes(SyscallContext c, long dirfd, long pathVa, long timesVa, int kind, int flags) throws FsError {
        HostTask t = c.hostTask();
        NativeScratch s = t.scratch();
        long times = 0;
        if (timesVa != 0) {
            long[] v = new long[4];
            if (kind == 1) {
                v[0] = c.memory().readLong(timesVa);
                v[2] = c.memory().readLong(timesVa + 8);
            } else {
                for (int i = 0; i < 4; i++) {
                    v[i] = c.memory().readLong(timesVa + 8L * i);
                }
                if (kind == 2) {
                    for (int i = 1; i < 4; i += 2) {
                        if (v[i] < 0 || v[i] >= 1_000_000) {
                            return Errno.EINVAL.negated();
                        }
                        v[i] *= 1000;
                    }
                }
            }
            for (int i = 0; i < 4; i++) {
                s.putLong(TIMES + 8 * i, v[i]);
            }
            times = s.at(TIMES);
        }
        long at = times;
        return onePath(t, dirfd, pathVa, flags, false, Last.FOLLOWED,
                (base, path) -> HostCalls.call(HostCalls.NR_UTIMENSAT, base, path, at, flags & 0xffffffffL));
    }

    /** Truncate implements Linux syscall truncate(2): on a file the Sentry opened for writing, within the program's file-size limit. */
    static long truncate(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        long length = c.arg(1);
        if (length < 0) {
            return Errno.EINVAL.negated();
        }
        if (length > t.fileSizeLimit()) {
            return Errno.EFBIG.negated();
        }
        return onePath(t, AT_FDCWD, c.arg(0), 0, false, Last.OPENED, (base, path) -> {
            NativeScratch s = t.scratch();
            s.putLong(HOW, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            s.putLong(HOW + 8, 0);
            s.putLong(HOW + 16, RESOLVE_NO_MAGICLINKS | inRoot(t));
            long fd = HostCalls.call(HostCalls.NR_OPENAT2, base, path, s.at(HOW), OPEN_HOW_SIZE);
            if (fd < 0) {
                return fd == Errno.ENXIO.negated() ? Errno.EINVAL.negated() : fd;
            }
            try {
                return HostCalls.call(HostCalls.NR_FTRUNCATE, fd, length, 0);
            } finally {
                HostCalls.close(fd);
            }
        });
    }

    /**
     * Chdir implements Linux syscall chdir(2). The Sentry resolves and checks the directory, then
     * lets the kernel change the program's directory (no call sets another process's): the kernel
     * reads the path again, and a path changed meanwhile can only name another directory in the
     * program's own root, at its own identity.
     */
    static long chdir(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        return onePath(t, AT_FDCWD, c.arg(0), 0, false, Last.OPENED, (base, path) -> {
            long fd = openPath(t, base, path, O_DIRECTORY);
            if (fd < 0) {
                return fd;
            }
            try {
                if (!procEntryOffered(t, fd)) {
                    return Errno.ENOENT.negated();
                }
                long r = HostCalls.call(HostCalls.NR_FACCESSAT2, fd, t.scratch().at(EMPTY), 1, AT_EMPTY_PATH); // X_OK
                return r < 0 ? r : Handler.RUN_NATIVELY;
            } finally {
                HostCalls.close(fd);
            }
        });
    }

    /** Rename implements Linux syscall rename(2). */
    static long rename(SyscallContext c) throws FsError {
        return renameat2(c, AT_FDCWD, c.arg(0), AT_FDCWD, c.arg(1), 0);
    }

    /** Renameat implements Linux syscall renameat(2). */
    static long renameat(SyscallContext c) throws FsError {
        return renameat2(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3), 0);
    }

    /** Renameat2 implements Linux syscall renameat2(2). */
    static long renameat2(SyscallContext c) throws FsError {
        return renameat2(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3), c.arg(4));
    }

    private static long renameat2(SyscallContext c, long oldDir, long oldVa, long newDir, long newVa, long flags) throws FsError {
        return twoPaths(c.hostTask(), oldDir, oldVa, newDir, newVa, 0, Last.NAMED,
                (ob, op, nb, np) -> HostCalls.call(HostCalls.NR_RENAMEAT2, ob, op, nb, np, flags & 0xffffffffL));
    }

    /** Link implements Linux syscall link(2). */
    static long link(SyscallContext c) throws FsError {
        return linkat(c, AT_FDCWD, c.arg(0), AT_FDCWD, c.arg(1), 0);
    }

    /** Linkat implements Linux syscall linkat(2). */
    static long linkat(SyscallContext c) throws FsError {
        return linkat(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3), (int) c.arg(4));
    }

    private static long linkat(SyscallContext c, long oldDir, long oldVa, long newDir, long newVa, int flags) throws FsError {
        return twoPaths(c.hostTask(), oldDir, oldVa, newDir, newVa, flags,
                (flags & AT_SYMLINK_FOLLOW) != 0 ? Last.FOLLOWED : Last.NOT_FOLLOWED,
                (ob, op, nb, np) -> HostCalls.call(HostCalls.NR_LINKAT, ob, op, nb, np, flags & 0xffffffffL));
    }

    /** Symlink implements Linux syscall symlink(2). */
    static long symlink(SyscallContext c) throws FsError {
        return symlinkat(c, c.arg(0), AT_FDCWD, c.arg(1));
    }

    /** Symlinkat implements Linux syscall symlinkat(2): the target is the link's content, never resolved here. */
    static long symlinkat(SyscallContext c) throws FsError {
        return symlinkat(c, c.arg(0), c.arg(1), c.arg(2));
    }

    private static long symlinkat(SyscallContext c, long targetVa, long newDir, long newVa) throws FsError {
        HostTask t = c.hostTask();
        byte[] target = readPath(t, targetVa, PATH2);
        if (target.length == 0) {
            return Errno.ENOENT.negated();
        }
        return onePath(t, newDir, newVa, 0, false, Last.NAMED,
                (base, path) -> HostCalls.call(HostCalls.NR_SYMLINKAT, t.scratch().at(PATH2), base, path));
    }

    /** Extended attributes by path are not offered (as on filesystems without them); by descriptor they run natively. */
    static long xattrByPath(SyscallContext c) {
        return Errno.EOPNOTSUPP.negated();
    }

    // ------------------------------------------------------------------ one or two paths, read once

    /** A host call on a path: its base descriptor and the native address of its copy. */
    @FunctionalInterface
    private interface OnePath {
        long apply(long base, long path) throws FsError;
    }

    @FunctionalInterface
    private interface TwoPaths {
        long apply(long oldBase, long oldPath, long newBase, long newPath) throws FsError;
    }

    /**
     * Reads the path at {@code pathVa} once, checks the call still waits, makes the program's own
     * names explicit, opens its base ({@link #lookup}, by what the call does with the path's last
     * component) and runs {@code op}. An empty path is ENOENT unless {@code flags} has
     * {@code AT_EMPTY_PATH}; {@code creates}: the serving thread takes the program's umask first.
     */
    private static long onePath(HostTask t, long dirfd, long pathVa, int flags, boolean creates, Last last, OnePath op)
            throws FsError {
        byte[] path = readPath(t, pathVa, PATH);
        if (!t.stillValid()) {
            return Handler.ANSWERED;
        }
        if (path.length == 0 && (flags & AT_EMPTY_PATH) == 0) {
            return Errno.ENOENT.negated();
        }
        if (creates) {
            programUmask(t);
        }
        Lookup l = lookup(t, where(t, dirfd, path, PATH, true), PATH, last, flags);
        try {
            return op.apply(l.base(), t.scratch().at(PATH));
        } finally {
            l.release();
        }
    }

    private static long twoPaths(HostTask t, long oldDir, long oldVa, long newDir, long newVa, int flags, Last oldLast,
            TwoPaths op) throws FsError {
        byte[] oldPath = readPath(t, oldVa, PATH);
        byte[] newPath = readPath(t, newVa, PATH2);
        if (!t.stillValid()) {
            return Handler.ANSWERED;
        }
        if ((oldPath.length == 0 && (flags & AT_EMPTY_PATH) == 0) || newPath.length == 0) {
            return Errno.ENOENT.negated();
        }
        Where ow = where(t, oldDir, oldPath, PATH, true);
        Where nw = where(t, newDir, newPath, PATH2, true);
        Lookup oldAt = lookup(t, ow, PATH, oldLast, flags);
        try {
            Lookup newAt = lookup(t, nw, PATH2, Last.NAMED, flags);
            try {
                return op.apply(oldAt.base(), t.scratch().at(PATH), newAt.base(), t.scratch().at(PATH2));
            } finally {
                newAt.release();
            }
        } finally {
            oldAt.release();
        }
    }

    // ------------------------------------------------------------------ rootless: every lookup from the sandbox's root

    /** What a call does with its path's last component, which decides how a rootless lookup is made safe. */
    enum Last {
        /** Opened by the call itself with openat2 (open, truncate, chdir, statfs, inotify, exec). */
        OPENED,
        /** Looked up, a symlink followed unless the flags have {@code AT_SYMLINK_NOFOLLOW} (stat, access, chmod, chown, times). */
        FOLLOWED,
        /** Looked up, never followed (readlink, link's old path without {@code AT_SYMLINK_FOLLOW}). */
        NOT_FOLLOWED,
        /** Made, removed or renamed in its parent, never followed (mkdir, mknod, unlink, rename, symlink, link's new path). */
        NAMED
    }

    private static final int AT_SYMLINK_FOLLOW = 0x400;

    /**
     * A served call's base descriptor, for a rootless lookup the file it reaches through the
     * Sentry's /proc (-1: none), and the path from the base (also at the scratch's area).
     */
    record Lookup(long base, long held, byte[] path) {
        void release() {
            SysPath.release(base);
            SysPath.release(held);
        }
    }

    /**
     * The base a served call on {@code w} starts from, its path rewritten at {@code area} where
     * needed. As root the serving thread's root is the sandbox's and {@link #base} is enough.
     * Rootless its root is the host's: no lookup may start there, nor follow a symlink from the
     * host's root, nor climb above the sandbox's root. The path is made absolute in the sandbox
     * ({@link #absolute}); a call that opens it resolves it all from the sandbox's root with
     * {@code RESOLVE_IN_ROOT} ({@link #inRoot}); a call on a name ({@link Last#NAMED}, a last
     * component not followed) gets the parent so resolved and the name; a call that follows the
     * last component (or must: a trailing slash, {@code .} or {@code ..}) gets the file itself so
     * resolved, held by the Sentry and named as {@code self/fd/N} of the host's {@code /proc}.
     */
    static Lookup lookup(HostTask t, Where w, int area, Last last, int flags) throws FsError {
        int root = t.sandboxRoot();
        byte[] p = w.path();
        if (root < 0 || p.length == 0) {
            return new Lookup(base(t, w.dirfd(), p, false), -1, p);
        }
        NativeScratch s = t.scratch();
        byte[] abs = absolute(t, w.dirfd(), p);
        if (last == Last.OPENED) {
            putPath(s, area, abs);
            return new Lookup(duplicate(root), -1, abs);
        }
        int end = abs.length;
        while (end > 1 && abs[end - 1] == '/') {
            end--;
        }
        boolean trailing = end < abs.length;
        int slash = end - 1;
        while (abs[slash] != '/') {
            slash--;
        }
        byte[] name = java.util.Arrays.copyOfRange(abs, slash + 1, end);
        boolean dots = name.length == 0 || (name[0] == '.' && (name.length == 1 || (name.length == 2 && name[1] == '.')));
        boolean follow = last == Last.FOLLOWED && (flags & AT_SYMLINK_NOFOLLOW) == 0;
        if (last != Last.NAMED && (follow || trailing || dots)) {
            putPath(s, area, abs);
            long file = openPath(t, root, s.at(area), follow || trailing ? 0 : O_NOFOLLOW);
            if (file < 0) {
                throw new FsError(Errno.of((int) -file).orElse(Errno.EIO));
            }
            // a directory here when not followed (a trailing slash, . or ..): its "." names it, not the /proc link
            byte[] viaProc = ("self/fd/" + file + (follow ? "" : "/.")).getBytes(StandardCharsets.US_ASCII);
            putPath(s, area, viaProc);
            long proc;
            try {
                proc = duplicate(t.hostProc());
            } catch (FsError e) {
                HostCalls.close(file);
                throw e;
            }
            return new Lookup(proc, file, viaProc);
        }
        putPath(s, area, slash == 0 ? ROOT : java.util.Arrays.copyOf(abs, slash));
        long parent = openPath(t, root, s.at(area), O_DIRECTORY);
        if (parent < 0) {
            throw new FsError(Errno.of((int) -parent).orElse(Errno.EIO));
        }
        byte[] at = name.length == 0 ? new byte[] {'.'} : trailing ? java.util.Arrays.copyOf(name, name.length + 1) : name;
        if (trailing && name.length > 0) {
            at[name.length] = '/';
        }
        putPath(s, area, at);
        return new Lookup(parent, -1, at);
    }

    /**
     * {@code path} from the sandbox's root: as it is when absolute, else after the place of the
     * program's working directory or {@code dirfd} in the sandbox (its {@code /proc} link as the
     * host's kernel reads it for a file of another mount namespace, which is the sandbox's own
     * path). A relative path thereby needs search permission on the directories above its base.
     */
    private static byte[] absolute(HostTask t, long dirfd, byte[] path) throws FsError {
        if (path[0] == '/') {
            return path;
        }
        int fd = (int) dirfd;
        if (fd != AT_FDCWD && fd < 0) {
            throw new FsError(Errno.EBADF);
        }
        NativeScratch s = t.scratch();
        putPath(s, NAME, (t.hostTid() + (fd == AT_FDCWD ? "/cwd" : "/fd/" + fd)).getBytes(StandardCharsets.US_ASCII));
        long n = HostCalls.call(HostCalls.NR_READLINKAT, t.hostProc(), s.at(NAME), s.at(LINK), PATH_MAX);
        if (n < 0) {
            throw new FsError(fd == AT_FDCWD ? Errno.ENOENT : Errno.EBADF);
        }
        if (n >= PATH_MAX) {
            throw new FsError(Errno.ENAMETOOLONG);
        }
        byte[] at = new byte[(int) n];
        s.read(LINK, at, 0, (int) n);
        if (n == 0 || at[0] != '/') {
            throw new FsError(Errno.ENOTDIR); // a pipe, a socket, an anonymous file
        }
        if (new String(at, StandardCharsets.ISO_8859_1).endsWith(" (deleted)")) {
            throw new FsError(Errno.ENOENT);
        }
        int join = n == 1 ? 0 : 1;
        byte[] abs = java.util.Arrays.copyOf(at, at.length + join + path.length);
        abs[at.length] = '/';
        System.arraycopy(path, 0, abs, at.length + join, path.length);
        if (abs.length >= PATH_MAX) {
            throw new FsError(Errno.ENAMETOOLONG);
        }
        return abs;
    }

    /** The resolve flag every openat2 of a served path takes: rootless, its base is the sandbox's root. */
    private static long inRoot(HostTask t) {
        return t.sandboxRoot() >= 0 ? RESOLVE_IN_ROOT : 0;
    }

    private static long duplicate(int fd) throws FsError {
        long r = HostCalls.call(NR_FCNTL, fd, F_DUPFD_CLOEXEC, 0);
        if (r < 0) {
            throw new FsError(Errno.EMFILE);
        }
        return r;
    }

    // ------------------------------------------------------------------ exec

    private static final int NR_FSTAT = 5, NR_PREAD64 = 17, X_OK = 1, AT_EACCESS = 0x200, S_IFMT = 0170000,
            S_IFREG = 0100000, S_IFLNK = 0120000, O_RDONLY_CLOEXEC = 02000000;
    private static final long ST_NOEXEC = 8;
    /** Bytes of a file's head the kernel reads for {@code #!} (BINPRM_BUF_SIZE), and how many interpreters deep it goes. */
    private static final int HEAD = 256, MAX_INTERPRETERS = 4, HEAD_AREA = LINK, STATFS_AT = OUT + 256;

    /**
     * The file an {@code execve} or {@code execveat} runs, chosen by the Sentry: the path read once,
     * resolved as every served path (inside the sandbox, at the program's identity, no magic links
     * but the program's own), checked as the kernel checks an executable (a regular file, execute
     * permission, not on a {@code noexec} mount), and for a {@code #!} script the interpreter
     * resolved the same way (the kernel's rules for the line, at most four deep). The file is
     * installed in the program close-on-exec and its number is the answer; the tracer then has
     * the program run it with {@code execveat(fd, "", ..., AT_EMPTY_PATH)}. The path was read once
     * by the tracer ({@link ExecChoice#path}). A file the program
     * may execute but not read is refused ({@code EACCES}): only a readable descriptor can be
     * installed.
     */
    static long exec(SyscallContext c, ExecChoice out) throws FsError {
        HostTask t = c.hostTask();
        boolean at = out.nr == SyscallNr.EXECVEAT;
        long dirfd = at ? c.arg(0) : AT_FDCWD;
        int flags = at ? (int) c.arg(4) : 0;
        if ((flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) != 0) {
            return Errno.EINVAL.negated();
        }
        byte[] path = out.path;
        putPath(t.scratch(), PATH, path);
        String filename;
        long file;
        if (path.length == 0) {
            if ((flags & AT_EMPTY_PATH) == 0) {
                return Errno.ENOENT.negated();
            }
            if ((int) dirfd < 0) {
                return Errno.EBADF.negated();
            }
            file = openAt(t, t.hostTid() + "/fd/" + (int) dirfd);
            if (file < 0) {
                return Errno.EBADF.negated();
            }
            filename = "/dev/fd/" + (int) dirfd;
        } else {
            String p = new String(path, StandardCharsets.ISO_8859_1);
            filename = path[0] == '/' || (int) dirfd == AT_FDCWD ? p : "/dev/fd/" + (int) dirfd + "/" + p;
            file = openForExec(t, dirfd, path, PATH, (flags & AT_SYMLINK_NOFOLLOW) != 0);
            if (file < 0) {
                return file;
            }
        }
        java.util.List<byte[]> head = null;
        byte[] name = filename.getBytes(StandardCharsets.ISO_8859_1);
        try {
            for (int level = 0; ; level++) {
                long bad = executable(t, file);
                if (bad < 0) {
                    return bad;
                }
                long readable = openAt(t, "self/fd/" + file, O_RDONLY_CLOEXEC);
                if (readable < 0) {
                    return readable;
                }
                try {
                    NativeScratch s = t.scratch();
                    s.write(HEAD_AREA, new byte[HEAD], 0, HEAD);
                    long n = HostCalls.call(NR_PREAD64, readable, s.at(HEAD_AREA), HEAD, 0);
                    if (n < 0) {
                        return n;
                    }
                    byte[] buf = new byte[HEAD];
                    s.read(HEAD_AREA, buf, 0, HEAD);
                    if (buf[0] != '#' || buf[1] != '!') {
                        if (HostCalls.call(NR_FSTAT, readable, s.at(OUT), 0) != 0) {
                            return Errno.EIO.negated();
                        }
                        out.dev = s.getLong(OUT);
                        out.ino = s.getLong(OUT + 8);
                        out.argvHead = head;
                        out.chosen = true;
                        return t.install((int) readable, true);
                    }
                    if (level == MAX_INTERPRETERS) {
                        return Errno.ELOOP.negated();
                    }
                    if (level == 0 && filename.startsWith("/dev/fd/") && closeOnExec(t, (int) dirfd)) {
                        // as the kernel: the interpreter could not open the script by that name after the exec
                        return Errno.ENOENT.negated();
                    }
                    byte[][] line = interpreterLine(buf);
                    if (line == null) {
                        return Errno.ENOEXEC.negated();
                    }
                    // as the kernel: argv[0] goes, then the name it ran, the line's argument and the interpreter come first
                    java.util.List<byte[]> next = new java.util.ArrayList<>();
                    next.add(line[0]);
                    if (line[1] != null) {
                        next.add(line[1]);
                    }
                    next.add(name);
                    if (head != null) {
                        next.addAll(head.subList(1, head.size()));
                    }
                    head = next;
                    name = line[0];
                } finally {
                    HostCalls.close(readable);
                }
                HostCalls.close(file);
                file = -1;
                putPath(t.scratch(), PATH2, name);
                file = openForExec(t, AT_FDCWD, name, PATH2, false);
                if (file < 0) {
                    return file;
                }
            }
        } finally {
            release(file);
        }
    }

    /** Whether the calling task's descriptor {@code fd} is close-on-exec (its {@code fdinfo} flags). */
    private static boolean closeOnExec(HostTask t, int fd) {
        long info = openAt(t, t.hostTid() + "/fdinfo/" + fd, O_RDONLY_CLOEXEC);
        if (info < 0) {
            return false;
        }
        NativeScratch s = t.scratch();
        long n;
        try {
            n = HostCalls.call(HostCalls.NR_READ, info, s.at(STATUS), 256);
        } finally {
            HostCalls.close(info);
        }
        if (n <= 0) {
            return false;
        }
        byte[] b = new byte[(int) n];
        s.read(STATUS, b, 0, (int) n);
        String text = new String(b, StandardCharsets.ISO_8859_1);
        int at = text.indexOf("flags:");
        if (at < 0) {
            return false;
        }
        int end = text.indexOf('\n', at);
        long flags = Long.parseLong(text.substring(at + 6, end < 0 ? text.length() : end).trim(), 8);
        return (flags & O_CLOEXEC) != 0;
    }

    /** An O_PATH descriptor of a path of the host's /proc (the caller's own links), or -errno. */
    private static long openAt(HostTask t, String procPath) {
        return openAt(t, procPath, O_PATH | O_CLOEXEC);
    }

    private static long openAt(HostTask t, String procPath, int flags) {
        NativeScratch s = t.scratch();
        byte[] l = procPath.getBytes(StandardCharsets.US_ASCII);
        s.write(NAME, l, 0, l.length);
        s.putByte(NAME + l.length, (byte) 0);
        // "self/fd/N" (the Sentry's own descriptor) is reopened readable through the host's /proc, at the program's identity
        return HostCalls.call(HostCalls.NR_OPENAT, t.hostProc(), s.at(NAME), flags, 0);
    }

    /** The file a path names for exec, opened O_PATH by the Sentry; the path is at {@code area} of the scratch. */
    private static long openForExec(HostTask t, long dirfd, byte[] path, int area, boolean noFollow) throws FsError {
        Where w = where(t, dirfd, path, area, true);
        String own = ownLink(t, w.path());
        long fd;
        if (own != null) {
            fd = openAt(t, own);
        } else {
            Lookup l = lookup(t, w, area, Last.OPENED, 0);
            try {
                fd = openPath(t, l.base(), t.scratch().at(area), noFollow ? O_NOFOLLOW : 0);
            } finally {
                l.release();
            }
        }
        if (fd >= 0 && noFollow) {
            NativeScratch s = t.scratch();
            if (HostCalls.call(NR_FSTAT, fd, s.at(OUT), 0) == 0 && (s.getInt(OUT + 24) & S_IFMT) == S_IFLNK) {
                HostCalls.close(fd);
                return Errno.ELOOP.negated();
            }
        }
        return fd;
    }

    /** 0 when the kernel would run the file, else its errno: a regular file, executable by the program, not on a noexec mount. */
    private static long executable(HostTask t, long fd) {
        NativeScratch s = t.scratch();
        if (HostCalls.call(NR_FSTAT, fd, s.at(OUT), 0) != 0 || (s.getInt(OUT + 24) & S_IFMT) != S_IFREG) {
            return Errno.EACCES.negated();
        }
        s.putByte(EMPTY, (byte) 0);
        long r = HostCalls.call(HostCalls.NR_FACCESSAT2, fd, s.at(EMPTY), X_OK, AT_EMPTY_PATH | AT_EACCESS);
        if (r < 0) {
            return r;
        }
        if (HostCalls.call(HostCalls.NR_FSTATFS, fd, s.at(STATFS_AT), 0) == 0 && (s.getLong(STATFS_AT + 80) & ST_NOEXEC) != 0) {
            return Errno.EACCES.negated();
        }
        return 0;
    }

    /**
     * The interpreter and its optional argument of a {@code #!} line, by the kernel's rules
     * (binfmt_script): up to the first newline of the head, spaces and tabs trimmed, the name up
     * to a space or tab, the rest one argument. Null where the kernel answers ENOEXEC.
     */
    static byte[][] interpreterLine(byte[] buf) {
        int end = -1;
        for (int i = 2; i < buf.length && buf[i] != 0; i++) {
            if (buf[i] == '\n') {
                end = i;
                break;
            }
        }
        if (end < 0) {
            int first = 2;
            while (first < buf.length - 1 && spaceTab(buf[first])) {
                first++;
            }
            if (first >= buf.length - 1) {
                return null; // only spaces and tabs
            }
            int term = first;
            while (term < buf.length - 1 && !spaceTab(buf[term]) && buf[term] != 0) {
                term++;
            }
            if (term >= buf.length - 1) {
                return null; // the interpreter's name is cut off
            }
            end = buf.length - 1;
        }
        while (end > 2 && spaceTab(buf[end - 1])) {
            end--;
        }
        int name = 2;
        while (name < end && spaceTab(buf[name])) {
            name++;
        }
        if (name >= end || buf[name] == 0) {
            return null;
        }
        int sep = name;
        while (sep < end && !spaceTab(buf[sep]) && buf[sep] != 0) {
            sep++;
        }
        byte[] interpreter = java.util.Arrays.copyOfRange(buf, name, sep);
        byte[] arg = null;
        if (sep < end && buf[sep] != 0) {
            int a = sep;
            while (a < end && spaceTab(buf[a])) {
                a++;
            }
            int stop = a;
            while (stop < end && buf[stop] != 0) {
                stop++;
            }
            if (stop > a) {
                arg = java.util.Arrays.copyOfRange(buf, a, stop);
            }
        }
        return new byte[][]{interpreter, arg};
    }

    private static boolean spaceTab(byte b) {
        return b == ' ' || b == '\t';
    }

    /** An O_PATH descriptor of what {@code path} names from {@code base}, opened by the Sentry (no magic links), or -errno. */
    private static long openPath(HostTask t, long base, long path, int flags) {
        NativeScratch s = t.scratch();
        s.putLong(HOW, O_PATH | O_CLOEXEC | flags);
        s.putLong(HOW + 8, 0);
        s.putLong(HOW + 16, RESOLVE_NO_MAGICLINKS | inRoot(t));
        return HostCalls.call(HostCalls.NR_OPENAT2, base, path, s.at(HOW), OPEN_HOW_SIZE);
    }

    // ------------------------------------------------------------------ the path, its base, the task's memory

    /**
     * The NUL-terminated path at {@code va}, read once, page by page, into the scratch's path
     * area (terminated there) and returned without its NUL. EFAULT where the task cannot read it,
     * ENAMETOOLONG past PATH_MAX.
     */
    static byte[] readPath(HostTask t, long va, int area) throws FsError {
        NativeScratch s = t.scratch();
        byte[] b = null;
        int got = 0;
        while (got < PATH_MAX) {
            // most paths are short: a small first read, then up to the end of each page
            int limit = got == 0 ? FIRST_READ : PATH_MAX - got;
            int chunk = (int) Math.min(limit, PAGE - ((va + got) & (PAGE - 1)));
            long n = HostCalls.copy(t.hostTid(), false, s.at(IOV), s.at(area + got), va + got, chunk);
            if (n <= 0) {
                throw new BadAddress(va + got);
            }
            byte[] more = new byte[(int) n];
            s.read(area + got, more, 0, (int) n);
            for (int i = 0; i < n; i++) {
                if (more[i] == 0) {
                    if (b == null) {
                        return java.util.Arrays.copyOf(more, i);
                    }
                    byte[] p = java.util.Arrays.copyOf(b, got + i);
                    System.arraycopy(more, 0, p, got, i);
                    return p;
                }
            }
            b = b == null ? java.util.Arrays.copyOf(more, PATH_MAX) : b;
            if (got > 0) {
                System.arraycopy(more, 0, b, got, (int) n);
            }
            got += (int) n;
        }
        throw new FsError(Errno.ENAMETOOLONG);
    }

    private static void putPath(NativeScratch s, int area, byte[] p) throws FsError {
        if (p.length >= PATH_MAX) {
            throw new FsError(Errno.ENAMETOOLONG);
        }
        s.write(area, p, 0, p.length);
        s.putByte(area + p.length, (byte) 0);
    }

    /**
     * The descriptor a path is resolved from: none ({@code AT_FDCWD}, the serving thread's root,
     * which is the sandbox's) for an absolute path, else the program's working directory or its
     * {@code dirfd}, opened {@code O_PATH} through the host's {@code /proc} entry of the calling
     * thread. {@code always}: the dirfd counts even for an absolute path (openat2's
     * {@code RESOLVE_IN_ROOT} and {@code RESOLVE_BENEATH}).
     */
    static long base(HostTask t, long dirfd, byte[] path, boolean always) throws FsError {
        // the kernel reads a descriptor argument as an int: the register's upper half does not count
        if (path.length > 0 && path[0] == '/' && !always) {
            return AT_FDCWD;
        }
        int fd = (int) dirfd;
        String link;
        if (fd == AT_FDCWD) {
            link = t.hostTid() + "/cwd";
        } else if (fd >= 0) {
            link = t.hostTid() + "/fd/" + fd;
        } else {
            throw new FsError(Errno.EBADF);
        }
        NativeScratch s = t.scratch();
        byte[] l = link.getBytes(StandardCharsets.US_ASCII);
        s.write(NAME, l, 0, l.length);
        s.putByte(NAME + l.length, (byte) 0);
        long r = HostCalls.call(HostCalls.NR_OPENAT, t.hostProc(), s.at(NAME), O_PATH | O_CLOEXEC, 0);
        if (r < 0) {
            throw new FsError(fd == AT_FDCWD ? Errno.ENOENT : Errno.EBADF);
        }
        return r;
    }

    static void release(long base) {
        if (base >= 0) {
            HostCalls.close(base);
        }
    }

    /** Copies {@code len} bytes of the scratch at {@code off} to the task's {@code va}; {@code result}, or EFAULT. */
    private static long copyOut(HostTask t, long va, int off, int len, long result) {
        NativeScratch s = t.scratch();
        long n = HostCalls.copy(t.hostTid(), true, s.at(IOV), s.at(off), va, len);
        return n == len ? result : Errno.EFAULT.negated();
    }

    /**
     * The path with the program's own names of itself made explicit: {@code /proc/self} and
     * {@code /proc/thread-self} (which would name the Sentry, not the program), {@code /dev/fd},
     * {@code /dev/stdin}, {@code /dev/stdout}, {@code /dev/stderr}. Rewritten paths are written
     * to the scratch's path area.
     */
    private static byte[] ownProc(HostTask t, byte[] p, int area) throws FsError {
        if (p.length < 7 || p[0] != '/' || (p[1] != 'p' && p[1] != 'd')) {
            return p;
        }
        String s = new String(p, StandardCharsets.ISO_8859_1);
        String r = null;
        if (prefix(s, "/proc/self")) {
            r = "/proc/" + t.nsTgid() + s.substring(10);
        } else if (prefix(s, "/proc/thread-self")) {
            r = "/proc/" + t.nsTgid() + "/task/" + t.nsTid() + s.substring(17);
        } else if (prefix(s, "/dev/fd")) {
            r = "/proc/" + t.nsTgid() + "/fd" + s.substring(7);
        } else if (s.equals("/dev/stdin") || s.equals("/dev/stdout") || s.equals("/dev/stderr")) {
            r = "/proc/" + t.nsTgid() + "/fd/" + (s.equals("/dev/stdin") ? 0 : s.equals("/dev/stdout") ? 1 : 2);
        }
        if (r == null) {
            return p;
        }
        byte[] b = r.getBytes(StandardCharsets.ISO_8859_1);
        putPath(t.scratch(), area, b);
        return b;
    }

    /** A path and the descriptor it is resolved from. */
    record Where(long dirfd, byte[] path) {
    }

    /**
     * A Unix socket's path to bind, connect or send to, and the Sentry's base for it (to
     * {@link Lookup#release} after use). For a connect or a send, the program's own names made
     * explicit as for every served path: its {@code /proc/self/fd/N} (an {@code O_PATH} descriptor
     * of a socket, the usual way round sun_path's 108 bytes) reopened through the host's
     * {@code /proc} entry of the calling thread, from a duplicate of that {@code /proc}; else the
     * path as {@link #lookup} makes it, the socket followed as connect follows it. For a bind, as
     * root, the program's string as written (the kernel records it) from its working directory;
     * rootless, the name in its parent ({@link Last#NAMED}), which is then what the kernel records.
     */
    static Lookup socketPath(HostTask t, byte[] p, boolean bind) throws FsError {
        if (bind) {
            if (t.sandboxRoot() < 0) {
                return new Lookup(p[0] == '/' ? AT_FDCWD : base(t, AT_FDCWD, p, false), -1, p);
            }
            return lookup(t, new Where(AT_FDCWD, p), PATH, Last.NAMED, 0);
        }
        String own = ownLink(t, p);
        if (own != null) {
            return new Lookup(duplicate(t.hostProc()), -1, own.getBytes(StandardCharsets.US_ASCII));
        }
        return lookup(t, where(t, AT_FDCWD, p, PATH, true), PATH, Last.FOLLOWED, 0);
    }

    private static final int NR_FCNTL = 72, F_DUPFD_CLOEXEC = 1030;

    /**
     * The program's own names made explicit ({@link #ownProc}), and with {@code ownLinks} a path
     * through one of its own {@code root}, {@code cwd} or {@code fd/N} links made the same path
     * from that place: the links themselves are never followed by the Sentry's lookups.
     */
    private static Where where(HostTask t, long dirfd, byte[] p, int area, boolean ownLinks) throws FsError {
        p = ownProc(t, p, area);
        if (!ownLinks || p.length < 8 || p[0] != '/' || p[1] != 'p') {
            return new Where(dirfd, p);
        }
        String s = new String(p, StandardCharsets.ISO_8859_1);
        String own = "/proc/" + t.nsTgid() + "/";
        if (!s.startsWith(own)) {
            return new Where(dirfd, p);
        }
        String rest = s.substring(own.length());
        String path;
        if (rest.startsWith("root/")) {
            path = rest.substring(4);
        } else if (rest.startsWith("cwd/")) {
            dirfd = AT_FDCWD;
            path = rest.length() > 4 ? rest.substring(4) : ".";
        } else if (rest.startsWith("fd/") && rest.indexOf('/', 3) > 3
                && rest.substring(3, rest.indexOf('/', 3)).chars().allMatch(ch -> ch >= '0' && ch <= '9')
                && rest.indexOf('/', 3) < 13) {
            int slash = rest.indexOf('/', 3);
            dirfd = Integer.parseInt(rest.substring(3, slash));
            path = slash + 1 < rest.length() ? rest.substring(slash + 1) : ".";
        } else {
            return new Where(dirfd, p);
        }
        byte[] b = path.getBytes(StandardCharsets.ISO_8859_1);
        putPath(t.scratch(), area, b);
        return new Where(dirfd, b);
    }

    private static boolean prefix(String s, String p) {
        return s.startsWith(p) && (s.length() == p.length() || s.charAt(p.length()) == '/');
    }

    /**
     * For the program's own {@code /proc/<pid>/fd/N}, {@code exe}, {@code cwd} and {@code root} (nothing after
     * them): the host {@code /proc} name of the same link of the calling thread; else null.
     */
    static String ownLink(HostTask t, byte[] p) {
        if (p.length < 8 || p[0] != '/' || p[1] != 'p') {
            return null;
        }
        String s = new String(p, StandardCharsets.ISO_8859_1);
        if (!s.startsWith("/proc/")) {
            return null;
        }
        String own = "/proc/" + t.nsTgid() + "/";
        if (!s.startsWith(own)) {
            return null;
        }
        String rest = s.substring(own.length());
        if (rest.equals("exe") || rest.equals("cwd") || rest.equals("root")) {
            return t.hostTid() + "/" + rest;
        }
        if (rest.startsWith("fd/") && rest.length() > 3 && rest.length() < 14
                && rest.substring(3).chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            return t.hostTid() + "/fd/" + Integer.parseInt(rest.substring(3));
        }
        return null;
    }

    /** Gives the serving thread the calling process's umask, which a created file's mode goes through. */
    static void programUmask(HostTask t) throws FsError {
        NativeScratch s = t.scratch();
        byte[] name = (t.hostTid() + "/status").getBytes(StandardCharsets.US_ASCII);
        s.write(NAME, name, 0, name.length);
        s.putByte(NAME + name.length, (byte) 0);
        long fd = HostCalls.call(HostCalls.NR_OPENAT, t.hostProc(), s.at(NAME), O_CLOEXEC, 0);
        if (fd < 0) {
            throw new FsError(Errno.ESRCH);
        }
        long n;
        try {
            n = HostCalls.call(HostCalls.NR_READ, fd, s.at(STATUS), PAGE - 1);
        } finally {
            HostCalls.close(fd);
        }
        if (n <= 0) {
            throw new FsError(Errno.ESRCH);
        }
        byte[] b = new byte[(int) n];
        s.read(STATUS, b, 0, (int) n);
        String status = new String(b, StandardCharsets.ISO_8859_1);
        int at = status.indexOf("Umask:");
        int umask = 022;
        if (at >= 0) {
            int end = status.indexOf('\n', at);
            umask = Integer.parseInt(status.substring(at + 6, end < 0 ? status.length() : end).trim(), 8);
        }
        HostCalls.call(HostCalls.NR_UMASK, umask, 0, 0);
    }
}
