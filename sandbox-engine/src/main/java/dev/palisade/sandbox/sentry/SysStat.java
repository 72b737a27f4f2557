package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.DevFile;
import dev.palisade.sandbox.sentry.vfs.FileStat;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.OpenFile;
import dev.palisade.sandbox.sentry.vfs.VirtualFs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.palisade.sandbox.abi.OpenFlags.AT_EMPTY_PATH;
import static dev.palisade.sandbox.abi.OpenFlags.AT_FDCWD;
import static dev.palisade.sandbox.abi.OpenFlags.AT_SYMLINK_NOFOLLOW;

/** File status and directory listing: the stat family, statx, getdents64. */
final class SysStat {
    /** The most one getdents64 call copies out, whatever count the program gives. */
    private static final int MAX_DIRENTS_BYTES = 1 << 16;

    private SysStat() {
    }

    static FileStat statOf(VirtualFs.Resolved r) throws FsError {
        if (r.inProc()) {
            if (r.proc() == null) {
                throw new FsError(Errno.ENOENT);
            }
            return r.proc().stat();
        }
        if (r.synthetic()) {
            return r.path().equals("/dev") ? FileStat.synthetic(FileStat.S_IFDIR | 0755, 0, 2)
                    : new DevFile(r.path(), 0).stat();
        }
        try {
            return VirtualFs.asSeen(r.mount(), FileStat.ofHost(r.host()));
        } catch (IOException e) {
            throw new FsError(Errno.ENOENT);
        }
    }

    /** An open file's stat as the program sees it (see {@link VirtualFs#asSeen(java.nio.file.Path, FileStat)}). */
    static FileStat statOf(VirtualProcess p, long fd) throws FsError {
        OpenFile f = p.file(fd);
        return p.fs.asSeen(f.hostPath(), f.stat());
    }

    /** Fstat implements Linux syscall fstat(2). */
    static long fstat(SyscallContext c) throws FsError {
        writeStat(c.memory(), c.arg(1), statOf(c.process(), c.arg(0)));
        return 0;
    }

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
        if ((c.arg(3) & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 /* AT_NO_AUTOMOUNT */)) != 0) {
            return Errno.EINVAL.negated();
        }
        return fstatat(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3));
    }

    private static long fstatat(SyscallContext c, long dirfd, long pathVa, long buf, long flags) throws FsError {
        VirtualProcess p = c.process();
        String path = SysArgs.rawPath(c.memory(), pathVa);
        if (path.isEmpty()) {
            if ((flags & AT_EMPTY_PATH) == 0) {
                return Errno.ENOENT.negated();
            }
            FileStat s = (int) dirfd == AT_FDCWD ? statOf(p.fs.resolve(c.pid(), "/", p.cwd, true)) : statOf(p, dirfd);
            writeStat(c.memory(), buf, s);
            return 0;
        }
        writeStat(c.memory(), buf, statOf(p.fs.resolve(c.pid(), SysArgs.base(p, dirfd, path), path, (flags & AT_SYMLINK_NOFOLLOW) == 0)));
        return 0;
    }

    private static void writeStat(TaskMemory mem, long buf, FileStat s) {
        ByteBuffer b = ByteBuffer.allocate(144).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, s.dev()).putLong(8, s.ino()).putLong(16, s.nlink()).putInt(24, s.mode()).putInt(28, s.uid())
                .putInt(32, s.gid()).putLong(40, s.rdev()).putLong(48, s.size()).putLong(56, s.blksize())
                .putLong(64, s.blocks())
                .putLong(72, s.atimeNs() / 1_000_000_000L).putLong(80, s.atimeNs() % 1_000_000_000L)
                .putLong(88, s.mtimeNs() / 1_000_000_000L).putLong(96, s.mtimeNs() % 1_000_000_000L)
                .putLong(104, s.ctimeNs() / 1_000_000_000L).putLong(112, s.ctimeNs() % 1_000_000_000L);
        mem.write(buf, b.array());
    }

    /** Statx implements Linux syscall statx(2). */
    static long statx(SyscallContext c) throws FsError {
        VirtualProcess p = c.process();
        long dirfd = c.arg(0), flags = c.arg(2), buf = c.arg(4);
        if ((c.arg(3) & 0x80000000L) != 0) {   // STATX__RESERVED
            return Errno.EINVAL.negated();
        }
        FileStat s;
        String path = SysArgs.rawPath(c.memory(), c.arg(1));
        if (path.isEmpty()) {
            if ((flags & AT_EMPTY_PATH) == 0) {
                return Errno.ENOENT.negated();
            }
            s = (int) dirfd == AT_FDCWD ? statOf(p.fs.resolve(c.pid(), "/", p.cwd, true)) : statOf(p, dirfd);
        } else {
            s = statOf(p.fs.resolve(c.pid(), SysArgs.base(p, dirfd, path), path, (flags & AT_SYMLINK_NOFOLLOW) == 0));
        }
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x7ff).putInt(4, (int) s.blksize()).putInt(16, (int) s.nlink()).putInt(20, s.uid()).putInt(24, s.gid())
                .putShort(28, (short) s.mode()).putLong(32, s.ino()).putLong(40, s.size()).putLong(48, s.blocks());
        long[] times = {s.atimeNs(), s.ctimeNs(), s.ctimeNs(), s.mtimeNs()};   // atime, btime, ctime, mtime
        for (int i = 0; i < 4; i++) {
            b.putLong(64 + 16 * i, times[i] / 1_000_000_000L).putInt(72 + 16 * i, (int) (times[i] % 1_000_000_000L));
        }
        b.putInt(128, (int) ((s.rdev() >>> 8) & 0xfff)).putInt(132, (int) (s.rdev() & 0xff))
                .putInt(136, (int) ((s.dev() >>> 8) & 0xfff)).putInt(140, (int) (s.dev() & 0xff));
        c.memory().write(buf, b.array());
        return 0;
    }

    /**
     * Getdents64 implements Linux syscall getdents64(2). At most
     * {@link #MAX_DIRENTS_BYTES} are filled per call whatever it says (a shorter answer is
     * always allowed). Entries a faulting write could not deliver stay unread.
     */
    static long getdents64(SyscallContext c) throws FsError {
        OpenFile f = c.process().file(c.arg(0));
        long buf = c.arg(1);
        // an unsigned int in the signature, a signed int where the kernel compares it: past 2^31 nothing fits
        long count = Math.max(0, (int) c.arg(2));
        if (f.directoryPath() == null) {
            return Errno.ENOTDIR.negated();
        }
        // as Linux: EINVAL when the first entry does not fit, EFAULT only when one is written, 0 at the end
        int written = 0;
        int entries = 0;
        ByteBuffer out = ByteBuffer.allocate((int) Math.min(count, MAX_DIRENTS_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        while (true) {
            List<OpenFile.DirEntry> es = f.readDir(1);
            if (es.isEmpty()) {
                break;
            }
            OpenFile.DirEntry e = es.get(0);
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            int reclen = (19 + name.length + 1 + 7) & ~7;
            if (written + reclen > out.capacity()) {
                f.unread(1);
                if (written == 0) {
                    return Errno.EINVAL.negated();
                }
                break;
            }
            out.putLong(written, e.ino()).putLong(written + 8, written + reclen).putShort(written + 16, (short) reclen)
                    .put(written + 18, (byte) e.type());
            out.position(written + 19);
            out.put(name);
            written += reclen;
            entries++;
        }
        try {
            if (written > 0 && !SysArgs.userRange(buf, count)) {
                throw new BadAddress(buf);
            }
            c.memory().write(buf, out.array(), 0, written);
        } catch (BadAddress e) {
            f.unread(entries);
            return Errno.EFAULT.negated();
        }
        return written;
    }
}
