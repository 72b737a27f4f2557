package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.nativeinterop.HostCalls;
import dev.palisade.sandbox.nativeinterop.NativeScratch;
import dev.palisade.sandbox.sentry.vfs.FsError;

import java.nio.charset.StandardCharsets;

import static dev.palisade.sandbox.abi.OpenFlags.AT_EMPTY_PATH;
import static dev.palisade.sandbox.abi.OpenFlags.AT_FDCWD;
import static dev.palisade.sandbox.abi.OpenFlags.AT_SYMLINK_NOFOLLOW;
import static dev.palisade.sandbox.abi.OpenFlags.O_CLOEXEC;
import static dev.palisade.sandbox.abi.OpenFlags.O_CREAT;
import static dev.palisade.sandbox.abi.OpenFlags.O_DIRECTORY;
import static dev.palisade.sandbox.abi.OpenFlags.O_NOFOLLOW;
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
    /** Scratch layout: iovecs, open_how, stat results, the path, a link target, a /proc file. */
    private static final int IOV = 0, HOW = 64, OUT = 256, PATH = 1024, LINK = 5376, STATUS = 9728;
    /** Bytes of scratch the layout needs. */
    static final int SCRATCH = 13824;
    private static final int PATH_MAX = 4096, PAGE = 4096, FIRST_READ = 256, STAT_SIZE = 144, STATX_SIZE = 256, OPEN_HOW_SIZE = 24;
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
        byte[] path = readPath(t, pathVa);
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
        Where w = where(t, dirfd, path, resolve == 0);
        path = w.path();
        dirfd = w.dirfd();
        String ownLink = resolve == 0 ? ownLink(t, path) : null;
        long fd;
        if (ownLink != null) {
            // the program's own descriptor or executable, reopened as Linux does for /proc/self/fd/N
            putPath(s, ownLink.getBytes(StandardCharsets.US_ASCII));
            fd = HostCalls.call(HostCalls.NR_OPENAT, t.hostProc(), s.at(PATH), (flags | O_CLOEXEC) & 0xffffffffL, mode);
        } else {
            long base = base(t, dirfd, path, (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) != 0);
            try {
                s.putLong(HOW, flags | O_CLOEXEC);
                s.putLong(HOW + 8, mode);
                s.putLong(HOW + 16, resolve | RESOLVE_NO_MAGICLINKS);
                fd = HostCalls.call(HostCalls.NR_OPENAT2, base, s.at(PATH), s.at(HOW), OPEN_HOW_SIZE, 0);
            } finally {
                release(base);
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
        s.write(STATUS, name, 0, name.length);
        s.putByte(STATUS + name.length, (byte) 0);
        long n = HostCalls.call(HostCalls.NR_READLINKAT, t.hostProc(), s.at(STATUS), s.at(LINK), PATH_MAX);
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
        byte[] path = readPath(t, pathVa);
        if (!t.stillValid()) {
            return Handler.ANSWERED;
        }
        if (path.length == 0 && (flags & AT_EMPTY_PATH) == 0) {
            return Errno.ENOENT.negated();
        }
        Where w = where(t, dirfd, path, true);
        path = w.path();
        NativeScratch s = t.scratch();
        long base = base(t, w.dirfd(), path, false);
        long r;
        try {
            r = HostCalls.call(HostCalls.NR_NEWFSTATAT, base, s.at(PATH), s.at(OUT), flags & 0xffffffffL);
        } finally {
            release(base);
        }
        return r < 0 ? r : copyOut(t, bufVa, OUT, STAT_SIZE, 0);
    }

    /** Statx implements Linux syscall statx(2). */
    static long statx(SyscallContext c) throws FsError {
        HostTask t = c.hostTask();
        long dirfd = c.arg(0);
        int flags = (int) c.arg(2);
        byte[] path = readPath(t, c.arg(1));
        if (!t.stillValid()) {
            return Handler.ANSWERED;
        }
        if (path.length == 0 && (flags & AT_EMPTY_PATH) == 0) {
            return Errno.ENOENT.negated();
        }
        Where w = where(t, dirfd, path, true);
        path = w.path();
        NativeScratch s = t.scratch();
        long base = base(t, w.dirfd(), path, false);
        long r;
        try {
            r = HostCalls.call(HostCalls.NR_STATX, base, s.at(PATH), flags & 0xffffffffL, c.arg(3) & 0xffffffffL, s.at(OUT));
        } finally {
            release(base);
        }
        return r < 0 ? r : copyOut(t, c.arg(4), OUT, STATX_SIZE, 0);
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
        HostTask t = c.hostTask();
        byte[] path = readPath(t, pathVa);
        if (!t.stillValid()) {
            return Handler.ANSWERED;
        }
        if (path.length == 0 && (flags & AT_EMPTY_PATH) == 0) {
            return Errno.ENOENT.negated();
        }
        Where w = where(t, dirfd, path, true);
        path = w.path();
        long base = base(t, w.dirfd(), path, false);
        try {
            return HostCalls.call(HostCalls.NR_FACCESSAT2, base, t.scratch().at(PATH), mode & 0xffffffffL, flags & 0xffffffffL, 0);
        } finally {
            release(base);
        }
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
        byte[] path = readPath(t, pathVa);
        if (!t.stillValid()) {
            return Handler.ANSWERED;
        }
        Where w = where(t, dirfd, path, true);
        path = w.path();
        NativeScratch s = t.scratch();
        long base = base(t, w.dirfd(), path, false);
        long r;
        try {
            r = HostCalls.call(HostCalls.NR_READLINKAT, base, s.at(PATH), s.at(LINK), Math.min(n, PATH_MAX));
        } finally {
            release(base);
        }
        return r <= 0 ? r : copyOut(t, bufVa, LINK, (int) r, r);
    }

    // ------------------------------------------------------------------ the path, its base, the task's memory

    /**
     * The NUL-terminated path at {@code va}, read once, page by page, into the scratch's path
     * area (terminated there) and returned without its NUL. EFAULT where the task cannot read it,
     * ENAMETOOLONG past PATH_MAX.
     */
    static byte[] readPath(HostTask t, long va) throws FsError {
        NativeScratch s = t.scratch();
        byte[] b = null;
        int got = 0;
        while (got < PATH_MAX) {
            // most paths are short: a small first read, then up to the end of each page
            int limit = got == 0 ? FIRST_READ : PATH_MAX - got;
            int chunk = (int) Math.min(limit, PAGE - ((va + got) & (PAGE - 1)));
            long n = HostCalls.copy(t.hostTid(), false, s.at(IOV), s.at(PATH + got), va + got, chunk);
            if (n <= 0) {
                throw new BadAddress(va + got);
            }
            byte[] more = new byte[(int) n];
            s.read(PATH + got, more, 0, (int) n);
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

    private static void putPath(NativeScratch s, byte[] p) throws FsError {
        if (p.length >= PATH_MAX) {
            throw new FsError(Errno.ENAMETOOLONG);
        }
        s.write(PATH, p, 0, p.length);
        s.putByte(PATH + p.length, (byte) 0);
    }

    /**
     * The descriptor a path is resolved from: none ({@code AT_FDCWD}, the serving thread's root,
     * which is the sandbox's) for an absolute path, else the program's working directory or its
     * {@code dirfd}, opened {@code O_PATH} through the host's {@code /proc} entry of the calling
     * thread. {@code always}: the dirfd counts even for an absolute path (openat2's
     * {@code RESOLVE_IN_ROOT} and {@code RESOLVE_BENEATH}).
     */
    private static long base(HostTask t, long dirfd, byte[] path, boolean always) throws FsError {
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
        s.write(LINK, l, 0, l.length);
        s.putByte(LINK + l.length, (byte) 0);
        long r = HostCalls.call(HostCalls.NR_OPENAT, t.hostProc(), s.at(LINK), O_PATH | O_CLOEXEC, 0);
        if (r < 0) {
            throw new FsError(fd == AT_FDCWD ? Errno.ENOENT : Errno.EBADF);
        }
        return r;
    }

    private static void release(long base) {
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
    private static byte[] ownProc(HostTask t, byte[] p) throws FsError {
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
        putPath(t.scratch(), b);
        return b;
    }

    /** A path and the descriptor it is resolved from. */
    private record Where(long dirfd, byte[] path) {
    }

    /**
     * The program's own names made explicit ({@link #ownProc}), and with {@code ownLinks} a path
     * through one of its own {@code root}, {@code cwd} or {@code fd/N} links made the same path
     * from that place: the links themselves are never followed by the Sentry's lookups.
     */
    private static Where where(HostTask t, long dirfd, byte[] p, boolean ownLinks) throws FsError {
        p = ownProc(t, p);
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
        putPath(t.scratch(), b);
        return new Where(dirfd, b);
    }

    private static boolean prefix(String s, String p) {
        return s.startsWith(p) && (s.length() == p.length() || s.charAt(p.length()) == '/');
    }

    /**
     * For the program's own {@code /proc/<pid>/fd/N}, {@code exe}, {@code cwd} and {@code root} (nothing after
     * them): the host {@code /proc} name of the same link of the calling thread; else null.
     */
    private static String ownLink(HostTask t, byte[] p) {
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
    private static void programUmask(HostTask t) throws FsError {
        NativeScratch s = t.scratch();
        byte[] name = (t.hostTid() + "/status").getBytes(StandardCharsets.US_ASCII);
        s.write(LINK, name, 0, name.length);
        s.putByte(LINK + name.length, (byte) 0);
        long fd = HostCalls.call(HostCalls.NR_OPENAT, t.hostProc(), s.at(LINK), O_CLOEXEC, 0);
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
