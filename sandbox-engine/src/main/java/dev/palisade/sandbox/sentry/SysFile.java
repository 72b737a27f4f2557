package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.net.UnixSocket;
import dev.palisade.sandbox.sentry.vfs.ByteQueue;
import dev.palisade.sandbox.sentry.vfs.DevFile;
import dev.palisade.sandbox.sentry.vfs.DiskBound;
import dev.palisade.sandbox.sentry.vfs.FileStat;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.HostDir;
import dev.palisade.sandbox.sentry.vfs.HostFile;
import dev.palisade.sandbox.sentry.vfs.OpenFile;
import dev.palisade.sandbox.sentry.vfs.ProcFs;
import dev.palisade.sandbox.sentry.vfs.QueueFile;
import dev.palisade.sandbox.sentry.vfs.VirtualFs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Set;

import static dev.palisade.sandbox.abi.OpenFlags.*;

/**
 * Files and descriptors on the Sentry's virtual filesystem: open, close, dup, fcntl, pipes,
 * truncation, and the path calls (mkdir, unlink, rename, symlink, readlink, access, chdir).
 */
final class SysFile {
    private static final int RENAME_NOREPLACE = 1;

    private SysFile() {
    }

    /** Open implements Linux syscall open(2). */
    static long open(SyscallContext c) throws FsError {
        return openat(c, AT_FDCWD, c.arg(0), c.arg(1), c.arg(2));
    }

    /** Creat implements Linux syscall creat(2): open with O_CREAT | O_WRONLY | O_TRUNC. */
    static long creat(SyscallContext c) throws FsError {
        return openat(c, AT_FDCWD, c.arg(0), 01 | 0100 | 01000, c.arg(1));
    }

    /** Openat implements Linux syscall openat(2). */
    static long openat(SyscallContext c) throws FsError {
        return openat(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3));
    }

    /** {@code mode}: the new file's mode when O_CREAT makes one (less the umask). */
    private static long openat(SyscallContext c, long dirfd, long pathVa, long flags, long mode) throws FsError {
        VirtualProcess p = c.process();
        int fl = (int) flags;
        int acc = fl & O_ACCMODE;
        if (acc == 3) {
            return Errno.EINVAL.negated();
        }
        if ((fl & O_PATH) != 0) {
            acc = 0;
        }
        String path = SysArgs.path(c.memory(), pathVa);
        boolean follow = (fl & O_NOFOLLOW) == 0 && !((fl & O_CREAT) != 0 && (fl & O_EXCL) != 0);
        VirtualFs.Resolved r = p.fs.resolve(c.pid(), SysArgs.base(p, dirfd, path), path, follow);
        boolean cloexec = (fl & O_CLOEXEC) != 0;
        if (r.inProc()) {
            return openProc(c, r, fl, acc, cloexec);
        }
        if (r.synthetic()) {
            if ((fl & O_CREAT) != 0 && (fl & O_EXCL) != 0) {
                return Errno.EEXIST.negated();
            }
            if (r.path().equals("/dev")) {
                return acc != 0 ? Errno.EISDIR.negated() : p.install(new HostDir(p.fs, "/dev", null), cloexec, 0);
            }
            if ((fl & O_DIRECTORY) != 0) {
                return Errno.ENOTDIR.negated();
            }
            return p.install(new DevFile(r.path(), acc), cloexec, 0);
        }
        BasicFileAttributes a = null;
        try {
            a = Files.readAttributes(r.host(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            // does not exist
        }
        if (a != null) {
            if ((fl & O_CREAT) != 0 && (fl & O_EXCL) != 0) {
                return Errno.EEXIST.negated();
            }
            if (a.isSymbolicLink()) {
                return Errno.ELOOP.negated();
            }
            if (a.isDirectory()) {
                if (acc != 0) {
                    return Errno.EISDIR.negated();
                }
                return p.install(new HostDir(p.fs, r.path(), r.host()), cloexec, 0);
            }
            if (!a.isRegularFile()) {
                return Errno.EACCES.negated();   // device nodes, FIFOs and sockets of the host are never opened
            }
            if ((fl & O_DIRECTORY) != 0) {
                return Errno.ENOTDIR.negated();
            }
            if (acc != 0 || (fl & O_TRUNC) != 0) {
                VirtualFs.checkWritable(r);
            }
        } else {
            if ((fl & O_CREAT) == 0) {
                return Errno.ENOENT.negated();
            }
            VirtualFs.checkWritable(r);
            if (r.host().getParent() == null || !Files.isDirectory(r.host().getParent(), LinkOption.NOFOLLOW_LINKS)) {
                return Errno.ENOENT.negated();
            }
        }
        Set<OpenOption> opts = new HashSet<>();
        opts.add(LinkOption.NOFOLLOW_LINKS);
        if (acc == 0 || acc == 2) {
            opts.add(StandardOpenOption.READ);
        }
        if (acc == 1 || acc == 2) {
            opts.add(StandardOpenOption.WRITE);
        }
        if ((fl & O_CREAT) != 0) {
            opts.add(StandardOpenOption.CREATE);
            if (a == null) {
                opts.add(StandardOpenOption.WRITE);
            }
        }
        boolean truncate = (fl & O_TRUNC) != 0 && acc != 0;
        if (truncate) {
            opts.add(StandardOpenOption.TRUNCATE_EXISTING);
        }
        DiskBound bound = r.mount().bound();
        if (bound != null && a == null) {
            bound.checkNewFile();
        }
        try {
            FileChannel ch = FileChannel.open(r.host(), opts);
            if (a == null) {
                SysFileMode.created(r.host(), mode, p.umask);
            }
            DiskBound.Node node = null;
            if (bound != null) {
                try {
                    node = a == null ? created(r, 0) : bound.node(a.fileKey(), a.size());
                } catch (FsError e) {
                    ch.close();
                    throw e;
                }
                if (truncate) {
                    bound.sized(node, 0);
                }
            }
            HostFile f = new HostFile(ch, r.host(), acc, fl & (O_APPEND | O_NONBLOCK), p.sizeLimit(), bound, node);
            f.openedPath = r.path();
            return p.install(f, cloexec, 0);
        } catch (NoSuchFileException e) {
            return Errno.ENOENT.negated();
        } catch (java.nio.file.FileSystemException e) {
            return Errno.EACCES.negated();
        } catch (IOException e) {
            return Errno.EIO.negated();
        }
    }

    /**
     * Opens an entry of the synthetic /proc: read-only, as a process of an ordinary uid finds
     * procfs (EACCES for writing, as the modes say; a name to create was already ENOENT).
     */
    private static long openProc(SyscallContext c, VirtualFs.Resolved r, int fl, int acc, boolean cloexec) throws FsError {
        ProcFs.Node n = r.proc();
        if (n == null) {
            return Errno.ENOENT.negated();
        }
        if ((fl & O_CREAT) != 0 && (fl & O_EXCL) != 0) {
            return Errno.EEXIST.negated();
        }
        switch (n.kind()) {
            case LINK -> {
                return Errno.ELOOP.negated();   // O_NOFOLLOW on a link
            }
            case DIR -> {
                if (acc != 0) {
                    return Errno.EISDIR.negated();
                }
            }
            case FILE -> {
                if ((fl & O_DIRECTORY) != 0) {
                    return Errno.ENOTDIR.negated();
                }
                if (n.object() == null && (acc != 0 || (fl & O_TRUNC) != 0)) {
                    return Errno.EACCES.negated();   // no entry is written (Linux lets an owner write comm; not supported)
                }
            }
        }
        return c.process().install(c.process().fs.proc().open(c.pid(), n), cloexec, 0);
    }

    /**
     * Counts a file, directory or symlink just made at {@code r} in its mount's disk bound; past the
     * bound it is removed again and the call fails with ENOSPC.
     */
    private static DiskBound.Node created(VirtualFs.Resolved r, long bytes) throws FsError {
        DiskBound bound = r.mount().bound();
        Object key;
        try {
            key = Files.readAttributes(r.host(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            throw new FsError(Errno.EIO);
        }
        try {
            return bound.created(key, bytes);
        } catch (FsError e) {
            try {
                Files.deleteIfExists(r.host());
            } catch (IOException ignored) {
                // still counted nowhere; the sandbox's directory is deleted at its end
            }
            throw e;
        }
    }

    /** The errno of a failed change to the host's files (mkdir, symlink, unlink, rename). */
    private static long hostError(IOException e) {
        Errno errno;
        if (e instanceof FileAlreadyExistsException) {
            errno = Errno.EEXIST;
        } else if (e instanceof NoSuchFileException) {
            errno = Errno.ENOENT;
        } else if (e instanceof DirectoryNotEmptyException) {
            errno = Errno.ENOTEMPTY;
        } else {
            errno = Errno.EACCES;
        }
        return errno.negated();
    }

    /** The host inode at {@code r}, or null when nothing is there. */
    private static Object fileKey(VirtualFs.Resolved r) {
        try {
            return Files.readAttributes(r.host(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** Close implements Linux syscall close(2). */
    static long close(SyscallContext c) throws FsError {
        int fd = (int) c.arg(0);   // an unsigned int to the kernel
        if (fd < 0 || fd >= VirtualProcess.MAX_FDS) {
            return Errno.EBADF.negated();
        }
        c.process().close(fd);
        return 0;
    }

    /** Dup implements Linux syscall dup(2). */
    static long dup(SyscallContext c) throws FsError {
        OpenFile f = c.process().file(c.arg(0));
        f.retain();
        return c.process().install(f, false, 0);
    }

    /** Dup2 implements Linux syscall dup2(2). */
    static long dup2(SyscallContext c) throws FsError {
        return dup3(c, c.arg(0), c.arg(1), 0, true);
    }

    /** Dup3 implements Linux syscall dup3(2). */
    static long dup3(SyscallContext c) throws FsError {
        if ((c.arg(2) & ~O_CLOEXEC) != 0) {
            return Errno.EINVAL.negated();
        }
        return dup3(c, c.arg(0), c.arg(1), c.arg(2), false);
    }

    private static long dup3(SyscallContext c, long oldArg, long newArg, long flags, boolean dup2) throws FsError {
        VirtualProcess p = c.process();
        int oldfd = (int) oldArg, newfd = (int) newArg;   // unsigned ints to the kernel
        OpenFile f = p.file(oldfd);
        if (newfd < 0 || newfd >= VirtualProcess.MAX_FDS) {
            return Errno.EBADF.negated();
        }
        if (oldfd == newfd) {
            return dup2 ? newfd : Errno.EINVAL.negated();
        }
        synchronized (p) {   // the descriptor table's lock: another thread may open or close at once
            if (p.fds[newfd] != null) {
                p.close(newfd);
            }
            f.retain();
            p.fds[newfd] = f;
            p.cloexec[newfd] = (flags & O_CLOEXEC) != 0;
        }
        return newfd;
    }

    /** Fcntl implements Linux syscall fcntl(2): descriptors and status flags; record locks always succeed. */
    static long fcntl(SyscallContext c) throws FsError {
        VirtualProcess p = c.process();
        int fd = (int) c.arg(0);
        int cmd = (int) c.arg(1);
        long arg = c.arg(2);
        OpenFile f = p.file(fd);
        return switch (cmd) {
            case F_DUPFD, F_DUPFD_CLOEXEC -> {
                if (arg < 0 || arg >= VirtualProcess.MAX_FDS) {
                    yield Errno.EINVAL.negated();
                }
                f.retain();
                yield p.install(f, cmd == F_DUPFD_CLOEXEC, (int) arg);
            }
            case F_GETFD -> p.cloexec[fd] ? FD_CLOEXEC : 0;
            case F_SETFD -> {
                p.cloexec[fd] = (arg & FD_CLOEXEC) != 0;
                yield 0;
            }
            case F_GETFL -> f.accessMode | f.statusFlags;
            case F_SETFL -> {
                f.statusFlags = (int) (arg & (O_APPEND | O_NONBLOCK));
                yield 0;
            }
            case F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW -> 0;   // one process: nothing contends
            default -> Errno.EINVAL.negated();
        };
    }

    /** Ioctl implements Linux syscall ioctl(2): no terminals or devices in a sandbox. */
    static long ioctl(SyscallContext c) throws FsError {
        OpenFile f = c.process().file(c.arg(0));
        final long fionread = 0x541B, fionbio = 0x5421;
        if (c.arg(1) == fionbio) {   // Python's setblocking() uses it on every kind of file
            if (c.memory().readInt(c.arg(2)) != 0) {
                f.statusFlags |= O_NONBLOCK;
            } else {
                f.statusFlags &= ~O_NONBLOCK;
            }
            return 0;
        }
        if (c.arg(1) == fionread && (f instanceof UnixSocket || f instanceof QueueFile)) {
            int n = f instanceof UnixSocket u ? u.available() : ((QueueFile) f).available();
            c.memory().writeInt(c.arg(2), n);
            return 0;
        }
        return Errno.ENOTTY.negated();
    }

    /** Pipe implements Linux syscall pipe(2). */
    static long pipe(SyscallContext c) throws FsError {
        return pipe2(c, c.arg(0), 0);
    }

    /** Pipe2 implements Linux syscall pipe2(2). */
    static long pipe2(SyscallContext c) throws FsError {
        return pipe2(c, c.arg(0), c.arg(1));
    }

    private static long pipe2(SyscallContext c, long fds, long flags) throws FsError {
        if ((flags & ~(O_CLOEXEC | O_NONBLOCK | 040000 /* O_DIRECT */)) != 0) {
            return Errno.EINVAL.negated();
        }
        if (!SysArgs.userRange(fds, 8)) {
            return Errno.EFAULT.negated();
        }
        VirtualProcess p = c.process();
        ByteQueue q = new ByteQueue(1 << 16);
        QueueFile r = new QueueFile(q, false, c.interruption(), null, 20);
        QueueFile w = new QueueFile(q, true, c.interruption(), null, 20);
        r.statusFlags = w.statusFlags = (int) (flags & O_NONBLOCK);
        int a = p.install(r, (flags & O_CLOEXEC) != 0, 0);
        int b;
        try {
            b = p.install(w, (flags & O_CLOEXEC) != 0, 0);
        } catch (FsError e) {
            p.close(a);
            throw e;
        }
        try {
            c.memory().writeInt(fds, a);
            c.memory().writeInt(fds + 4, b);
        } catch (BadAddress e) {
            p.close(a);
            p.close(b);
            throw e;
        }
        return 0;
    }

    /** Lseek implements Linux syscall lseek(2). */
    static long lseek(SyscallContext c) throws FsError {
        return c.process().file(c.arg(0)).seek(c.arg(1), (int) c.arg(2));
    }

    /** Fsync implements Linux syscall fsync(2) (and fdatasync): writes reach the host's page cache at once. */
    static long fsync(SyscallContext c) throws FsError {
        c.process().file(c.arg(0));
        return 0;
    }

    /** Truncate implements Linux syscall truncate(2). */
    static long truncate(SyscallContext c) throws FsError {
        if (c.arg(1) < 0) {
            return Errno.EINVAL.negated();
        }
        VirtualProcess p = c.process();
        VirtualFs.Resolved r = SysArgs.resolve(c, AT_FDCWD, c.arg(0), true);
        VirtualFs.checkWritable(r);
        if (r.synthetic() || !Files.isRegularFile(r.host(), LinkOption.NOFOLLOW_LINKS)) {
            return Errno.EINVAL.negated();
        }
        DiskBound bound = r.mount().bound();
        FileChannel ch;
        try {
            ch = FileChannel.open(r.host(), StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return Errno.EACCES.negated();
        }
        HostFile f = new HostFile(ch, r.host(), 1, 0, p.sizeLimit(), bound,
                bound == null ? null : bound.node(fileKey(r), r.host().toFile().length()));
        try {
            f.truncate(c.arg(1));
            return 0;
        } finally {
            f.release();
        }
    }

    /** Ftruncate implements Linux syscall ftruncate(2). */
    static long ftruncate(SyscallContext c) throws FsError {
        if (c.arg(1) < 0) {
            return Errno.EINVAL.negated();
        }
        c.process().file(c.arg(0)).truncate(c.arg(1));
        return 0;
    }

    /** Fallocate implements Linux syscall fallocate(2): mode 0 only (the file grows, within the limits). */
    static long fallocate(SyscallContext c) throws FsError {
        OpenFile f = c.process().file(c.arg(0));
        if (!(f instanceof HostFile h)) {
            return f.directoryPath() != null ? Errno.EISDIR.negated() : Errno.ESPIPE.negated();
        }
        if (c.arg(1) != 0) {
            return Errno.EOPNOTSUPP.negated();
        }
        h.allocate(c.arg(2), c.arg(3));
        return 0;
    }

    private static final int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

    /**
     * Flock implements Linux syscall flock(2) between the sandbox's processes ({@link
     * dev.palisade.sandbox.sentry.vfs.FileLocks}): a blocked lock waits until it is free, a
     * signal the thread does not block (EINTR) or the sandbox's end. Pipes and sockets, which no
     * other description can name, lock at once.
     */
    static long flock(SyscallContext c) throws FsError {
        VirtualProcess p = c.process();
        OpenFile f = p.file(c.arg(0));
        long op = c.arg(1);
        long kind = op & ~LOCK_NB;
        if (kind != LOCK_SH && kind != LOCK_EX && kind != LOCK_UN) {
            return Errno.EINVAL.negated();
        }
        if (f.hostPath() == null) {
            return 0;
        }
        FileStat st = f.stat();
        if (kind == LOCK_UN) {
            p.fs.locks().unlock(st, f);
            return 0;
        }
        while (!p.fs.locks().tryLock(st, f, kind == LOCK_EX)) {
            if ((op & LOCK_NB) != 0) {
                return Errno.EAGAIN.negated();
            }
            if (c.aborted() || c.thread().signalDeliverable(p)) {
                return Errno.EINTR.negated();
            }
            try {
                p.fs.locks().awaitChange(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Errno.EINTR.negated();
            }
        }
        return 0;
    }

    /** Umask implements Linux syscall umask(2). */
    static long umask(SyscallContext c) {
        VirtualProcess p = c.process();
        int old = p.umask;
        p.umask = (int) (c.arg(0) & 0777);
        return old;
    }

    // ------------------------------------------------------------------ directories and paths

    /** Getcwd implements Linux syscall getcwd(2). */
    static long getcwd(SyscallContext c) {
        byte[] b = (c.process().cwd + "\0").getBytes(StandardCharsets.UTF_8);
        if (Long.compareUnsigned(b.length, c.arg(1)) > 0) {
            return Errno.ERANGE.negated();
        }
        c.memory().write(c.arg(0), b);
        return b.length;
    }

    /** Chdir implements Linux syscall chdir(2). */
    static long chdir(SyscallContext c) throws FsError {
        VirtualFs.Resolved r = SysArgs.resolve(c, AT_FDCWD, c.arg(0), true);
        if (!SysStat.statOf(r).isDirectory()) {
            return Errno.ENOTDIR.negated();
        }
        c.process().cwd = r.path();
        return 0;
    }

    /** Fchdir implements Linux syscall fchdir(2). */
    static long fchdir(SyscallContext c) throws FsError {
        String d = c.process().file(c.arg(0)).directoryPath();
        if (d == null) {
            return Errno.ENOTDIR.negated();
        }
        c.process().cwd = d;
        return 0;
    }

    /** Mkdir implements Linux syscall mkdir(2). */
    static long mkdir(SyscallContext c) throws FsError {
        return mkdirat(c, AT_FDCWD, c.arg(0), c.arg(1));
    }

    /** Mkdirat implements Linux syscall mkdirat(2). */
    static long mkdirat(SyscallContext c) throws FsError {
        return mkdirat(c, c.arg(0), c.arg(1), c.arg(2));
    }

    private static long mkdirat(SyscallContext c, long dirfd, long pathVa, long mode) throws FsError {
        VirtualFs.Resolved r = SysArgs.resolve(c, dirfd, pathVa, false);
        if (r.synthetic()) {
            return Errno.EEXIST.negated();
        }
        if (Files.exists(r.host(), LinkOption.NOFOLLOW_LINKS)) {
            return Errno.EEXIST.negated();
        }
        VirtualFs.checkWritable(r);
        DiskBound bound = r.mount().bound();
        if (bound != null) {
            bound.checkNewFile();
        }
        try {
            Files.createDirectory(r.host());
            SysFileMode.created(r.host(), mode, c.process().umask);
            if (bound != null) {
                created(r, 0);
            }
            return 0;
        } catch (IOException e) {
            return hostError(e);
        }
    }

    /** Symlink implements Linux syscall symlink(2). */
    static long symlink(SyscallContext c) throws FsError {
        return symlinkat(c, c.arg(0), AT_FDCWD, c.arg(1));
    }

    /** Symlinkat implements Linux syscall symlinkat(2). */
    static long symlinkat(SyscallContext c) throws FsError {
        return symlinkat(c, c.arg(0), c.arg(1), c.arg(2));
    }

    private static long symlinkat(SyscallContext c, long targetVa, long dirfd, long pathVa) throws FsError {
        String target = SysArgs.path(c.memory(), targetVa);
        VirtualFs.Resolved r = SysArgs.resolve(c, dirfd, pathVa, false);
        VirtualFs.checkWritable(r);
        DiskBound bound = r.mount().bound();
        if (bound != null) {
            bound.checkNewFile();
        }
        try {
            // the target is stored as written; the resolver re-roots it inside the sandbox whenever it is followed
            Files.createSymbolicLink(r.host(), java.nio.file.Path.of(target));
            if (bound != null) {
                created(r, target.getBytes(StandardCharsets.UTF_8).length);
            }
            return 0;
        } catch (IOException e) {
            return hostError(e);
        } catch (java.nio.file.InvalidPathException e) {
            return Errno.EACCES.negated();
        }
    }

    /** Link implements Linux syscall link(2). */
    static long link(SyscallContext c) throws FsError {
        return linkat(c, AT_FDCWD, c.arg(0), AT_FDCWD, c.arg(1), 0);
    }

    /** Linkat implements Linux syscall linkat(2): AT_SYMLINK_FOLLOW; AT_EMPTY_PATH gives EINVAL. */
    static long linkat(SyscallContext c) throws FsError {
        int flags = (int) c.arg(4);
        if ((flags & ~LINK_SYMLINK_FOLLOW) != 0) {
            return Errno.EINVAL.negated();
        }
        return linkat(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3), flags);
    }

    private static final int LINK_SYMLINK_FOLLOW = 0x400;

    /** Both names in one writable mount (else EXDEV, as between filesystems): a second name of the same host inode. */
    private static long linkat(SyscallContext c, long olddir, long oldVa, long newdir, long newVa, int flags) throws FsError {
        VirtualFs.Resolved from = SysArgs.resolve(c, olddir, oldVa, (flags & LINK_SYMLINK_FOLLOW) != 0);
        VirtualFs.Resolved to = SysArgs.resolve(c, newdir, newVa, false);
        if (from.synthetic() || from.inProc()) {
            return Errno.EXDEV.negated();
        }
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(from.host(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return Errno.ENOENT.negated();
        }
        if (a.isDirectory()) {
            return Errno.EPERM.negated();
        }
        VirtualFs.checkWritable(to);
        if (from.mount() != to.mount()) {
            return Errno.EXDEV.negated();
        }
        if (Files.exists(to.host(), LinkOption.NOFOLLOW_LINKS)) {
            return Errno.EEXIST.negated();
        }
        try {
            Files.createLink(to.host(), from.host());
            if (to.mount().bound() != null) {
                to.mount().bound().linked(a.fileKey());
            }
            return 0;
        } catch (IOException e) {
            return hostError(e);
        }
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
        if ((c.arg(2) & ~AT_REMOVEDIR) != 0) {
            return Errno.EINVAL.negated();
        }
        return unlinkat(c, c.arg(0), c.arg(1), c.arg(2));
    }

    private static long unlinkat(SyscallContext c, long dirfd, long pathVa, long flags) throws FsError {
        VirtualFs.Resolved r = SysArgs.resolve(c, dirfd, pathVa, false);
        if (r.inProc()) {
            return Errno.EPERM.negated();   // procfs' directories have no unlink
        }
        if (r.synthetic()) {
            return Errno.EACCES.negated();
        }
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(r.host(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return Errno.ENOENT.negated();
        }
        VirtualFs.checkWritable(r);
        if (r.mount().at().equals(r.path())) {
            return Errno.EBUSY.negated();
        }
        boolean rmdir = (flags & AT_REMOVEDIR) != 0;
        if (rmdir && !a.isDirectory()) {
            return Errno.ENOTDIR.negated();
        }
        if (!rmdir && a.isDirectory()) {
            return Errno.EISDIR.negated();
        }
        try {
            Files.delete(r.host());
            if (r.mount().bound() != null) {
                r.mount().bound().removed(a.fileKey());
            }
            return 0;
        } catch (IOException e) {
            return hostError(e);
        }
    }

    /** Rename implements Linux syscall rename(2). */
    static long rename(SyscallContext c) throws FsError {
        return renameat(c, AT_FDCWD, c.arg(0), AT_FDCWD, c.arg(1), 0);
    }

    /** Renameat implements Linux syscall renameat(2). */
    static long renameat(SyscallContext c) throws FsError {
        return renameat(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3), 0);
    }

    /** Renameat2 implements Linux syscall renameat2(2): RENAME_NOREPLACE; RENAME_EXCHANGE and RENAME_WHITEOUT give EINVAL. */
    static long renameat2(SyscallContext c) throws FsError {
        if ((c.arg(4) & ~RENAME_NOREPLACE) != 0) {
            return Errno.EINVAL.negated();
        }
        return renameat(c, c.arg(0), c.arg(1), c.arg(2), c.arg(3), c.arg(4));
    }

    private static long renameat(SyscallContext c, long olddir, long oldVa, long newdir, long newVa, long flags) throws FsError {
        VirtualFs.Resolved from = SysArgs.resolve(c, olddir, oldVa, false);
        VirtualFs.Resolved to = SysArgs.resolve(c, newdir, newVa, false);
        VirtualFs.checkWritable(from);
        VirtualFs.checkWritable(to);
        if (from.mount() != to.mount()) {
            return Errno.EXDEV.negated();
        }
        Object moved = fileKey(from);
        if (moved == null) {
            return Errno.ENOENT.negated();
        }
        Object replaced = fileKey(to);   // what a rename over frees
        if (replaced != null && (flags & RENAME_NOREPLACE) != 0) {
            return Errno.EEXIST.negated();
        }
        try {
            try {
                Files.move(from.host(), to.host(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(from.host(), to.host(), StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
            }
            if (to.mount().bound() != null && replaced != null && !replaced.equals(moved)) {
                to.mount().bound().removed(replaced);
            }
            return 0;
        } catch (IOException e) {
            return hostError(e);
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

    private static long readlinkat(SyscallContext c, long dirfd, long pathVa, long buf, long bufsiz) throws FsError {
        int size = (int) bufsiz;   // an int in the kernel's signature
        if (size <= 0) {
            return Errno.EINVAL.negated();
        }
        VirtualProcess p = c.process();
        String path = SysArgs.path(c.memory(), pathVa);
        String target;
        VirtualFs.Resolved r = p.fs.resolve(c.pid(), SysArgs.base(p, dirfd, path), path, false);
        if (r.inProc()) {
            if (r.proc() == null) {
                return Errno.ENOENT.negated();
            }
            if (r.proc().kind() != ProcFs.Kind.LINK) {
                return Errno.EINVAL.negated();
            }
            target = r.proc().link();
        } else {
            if (r.synthetic()) {
                return Errno.EINVAL.negated();
            }
            if (!Files.isSymbolicLink(r.host())) {
                return Files.exists(r.host(), LinkOption.NOFOLLOW_LINKS) ? Errno.EINVAL.negated() : Errno.ENOENT.negated();
            }
            try {
                target = Files.readSymbolicLink(r.host()).toString();
            } catch (IOException e) {
                return Errno.EIO.negated();
            }
        }
        byte[] b = target.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(b.length, size);
        c.memory().write(buf, b, 0, n);
        return n;
    }

    /** Access implements Linux syscall access(2). */
    static long access(SyscallContext c) throws FsError {
        return faccessat(c, AT_FDCWD, c.arg(0), c.arg(1));
    }

    /** Faccessat implements Linux syscall faccessat(2) (and faccessat2). */
    static long faccessat(SyscallContext c) throws FsError {
        return faccessat(c, c.arg(0), c.arg(1), c.arg(2));
    }

    private static long faccessat(SyscallContext c, long dirfd, long pathVa, long mode) throws FsError {
        if ((mode & ~7L) != 0) {
            return Errno.EINVAL.negated();
        }
        VirtualFs.Resolved r = SysArgs.resolve(c, dirfd, pathVa, true);
        if (r.inProc()) {
            if (r.proc() == null) {
                return Errno.ENOENT.negated();
            }
            int m = r.proc().mode();
            int allowed = r.proc().object() != null ? 7 : r.proc().uid() == c.uid() ? (m >> 6) & 7 : m & 7;
            return (mode & ~allowed) != 0 ? Errno.EACCES.negated() : 0;
        }
        if (r.synthetic()) {
            return 0;
        }
        if (!Files.exists(r.host(), LinkOption.NOFOLLOW_LINKS)) {
            return Errno.ENOENT.negated();
        }
        if ((mode & 2) != 0 && r.mount().readOnly()) {
            return Errno.EROFS.negated();
        }
        if ((mode & 4) != 0 && !Files.isReadable(r.host())) {
            return Errno.EACCES.negated();
        }
        if ((mode & 1) != 0 && !Files.isExecutable(r.host())) {
            return Errno.EACCES.negated();
        }
        return 0;
    }
}
