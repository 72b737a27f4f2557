package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.VirtualFs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

import static dev.palisade.sandbox.abi.OpenFlags.AT_FDCWD;
import static dev.palisade.sandbox.abi.OpenFlags.AT_SYMLINK_NOFOLLOW;

/**
 * File permission bits and times on the sandbox's writable mounts: chmod, fchmodat, utimensat.
 * Only the nine rwx bits are applied (setuid, setgid and sticky are dropped: the files live on
 * the host), the host file is changed without following a symlink, and the read-only image gives
 * EROFS.
 */
final class SysFileMode {
    private static final PosixFilePermission[] BITS = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};

    private SysFileMode() {
    }

    /** Chmod implements Linux syscall chmod(2). */
    static long chmod(SyscallContext c) throws FsError {
        return apply(SysArgs.resolve(c, AT_FDCWD, c.arg(0), true), c.arg(1));
    }

    /**
     * Fchmodat implements Linux syscall fchmodat(2), which has no flags argument (glibc's flags
     * are fchmodat2's): whatever the fourth register holds is not the program's.
     */
    static long fchmodat(SyscallContext c) throws FsError {
        return apply(SysArgs.resolve(c, c.arg(0), c.arg(1), true), c.arg(2));
    }

    /** Fchmodat2 implements Linux syscall fchmodat2(2): fchmodat with AT_SYMLINK_NOFOLLOW. */
    static long fchmodat2(SyscallContext c) throws FsError {
        if ((c.arg(3) & ~AT_SYMLINK_NOFOLLOW) != 0) {
            return Errno.EINVAL.negated();
        }
        if ((c.arg(3) & AT_SYMLINK_NOFOLLOW) != 0) {
            return Errno.EOPNOTSUPP.negated();   // as Linux: a symlink's mode cannot be changed
        }
        return apply(SysArgs.resolve(c, c.arg(0), c.arg(1), true), c.arg(2));
    }

    private static final long UTIME_NOW = (1L << 30) - 1, UTIME_OMIT = (1L << 30) - 2;

    /**
     * Utimensat implements Linux syscall utimensat(2); a null path (futimens) works on a file
     * open for writing (so on a writable mount), else EROFS.
     */
    static long utimensat(SyscallContext c) throws FsError {
        long flags = c.arg(3);
        if ((flags & ~AT_SYMLINK_NOFOLLOW) != 0) {
            return Errno.EINVAL.negated();
        }
        java.nio.file.attribute.FileTime[] t = new java.nio.file.attribute.FileTime[2];
        long now = System.currentTimeMillis();
        for (int i = 0; i < 2; i++) {
            long sec = c.arg(2) == 0 ? 0 : c.memory().readLong(c.arg(2) + 16L * i);
            long ns = c.arg(2) == 0 ? UTIME_NOW : c.memory().readLong(c.arg(2) + 16L * i + 8);
            if (ns == UTIME_OMIT) {
                continue;
            }
            if (ns == UTIME_NOW) {
                t[i] = java.nio.file.attribute.FileTime.fromMillis(now);
            } else if (ns < 0 || ns >= 1_000_000_000L) {
                return Errno.EINVAL.negated();
            } else {
                // a time_t beyond what Instant holds is clamped, as filesystems clamp to their own range
                long clamped = Math.max(java.time.Instant.MIN.getEpochSecond(), Math.min(java.time.Instant.MAX.getEpochSecond(), sec));
                t[i] = java.nio.file.attribute.FileTime.from(java.time.Instant.ofEpochSecond(clamped, ns));
            }
        }
        java.nio.file.Path host;
        if (c.arg(1) == 0) {
            var f = c.process().file(c.arg(0));
            if (!(f instanceof dev.palisade.sandbox.sentry.vfs.HostFile hf) || !f.writable()) {
                return Errno.EROFS.negated();
            }
            host = hf.hostPath();
        } else {
            VirtualFs.Resolved r = SysArgs.resolve(c, c.arg(0), c.arg(1), (flags & AT_SYMLINK_NOFOLLOW) == 0);
            SysStat.statOf(r);
            VirtualFs.checkWritable(r);
            host = r.host();
        }
        try {
            Files.getFileAttributeView(host, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(t[1], t[0], null);
            return 0;
        } catch (IOException | UnsupportedOperationException e) {
            return Errno.EPERM.negated();
        }
    }

    /** The rwx bits of {@code mode} as permissions. */
    static Set<PosixFilePermission> permissions(long mode) {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        for (int i = 0; i < BITS.length; i++) {
            if ((mode & (1L << i)) != 0) {
                perms.add(BITS[i]);
            }
        }
        return perms;
    }

    /**
     * Gives a file or directory the Sentry just made the mode the program asked for, less its
     * umask, as the kernel would: the host made it under the engine's own umask.
     */
    static void created(Path host, long mode, int umask) throws IOException {
        PosixFileAttributeView v = Files.getFileAttributeView(host, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (v != null) {
            v.setPermissions(permissions(mode & ~umask & 0777));
        }
    }

    private static long apply(VirtualFs.Resolved r, long mode) throws FsError {
        SysStat.statOf(r);   // ENOENT first, as Linux resolves before it checks the mount
        VirtualFs.checkWritable(r);
        try {
            PosixFileAttributeView v = Files.getFileAttributeView(r.host(), PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            if (v == null) {
                return Errno.EPERM.negated();
            }
            v.setPermissions(permissions(mode));
            return 0;
        } catch (IOException | UnsupportedOperationException e) {
            return Errno.EPERM.negated();
        }
    }
}
