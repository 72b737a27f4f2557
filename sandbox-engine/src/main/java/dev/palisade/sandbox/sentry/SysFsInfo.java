package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.VirtualFs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileStore;
import java.nio.file.Files;

import static dev.palisade.sandbox.abi.OpenFlags.AT_FDCWD;

/**
 * What a program asks about the filesystem a file lives on, rather than the file: statfs and
 * the reads of extended attributes. The sandbox's files carry no extended attributes (the view
 * offers none), so a read finds none, as on a filesystem without any.
 */
final class SysFsInfo {
    private static final int STATFS_SIZE = 120;
    private static final long ST_RDONLY = 1, ST_NOSUID = 2, ST_NODEV = 4;
    private static final long TMPFS_MAGIC = 0x01021994L, EXT4_MAGIC = 0xef53L, OVERLAY_MAGIC = 0x794c7630L,
            XFS_MAGIC = 0x58465342L, BTRFS_MAGIC = 0x9123683eL, DEVTMPFS_MAGIC = TMPFS_MAGIC,
            PROC_SUPER_MAGIC = 0x9fa0L;

    private SysFsInfo() {
    }

    /** Statfs implements Linux syscall statfs(2): the host filesystem's sizes, the sandbox mount's flags. */
    static long statfs(SyscallContext c) throws FsError {
        VirtualFs.Resolved r = SysArgs.resolve(c, AT_FDCWD, c.arg(0), true);
        SysStat.statOf(r);   // ENOENT for a name that is not there
        return writeStatfs(c, c.arg(1), r);
    }

    /** Fstatfs implements Linux syscall fstatfs(2): the filesystem of the sandbox's root for any open file. */
    static long fstatfs(SyscallContext c) throws FsError {
        VirtualProcess p = c.process();
        p.file(c.arg(0));
        return writeStatfs(c, c.arg(1), p.fs.resolve("/", "/", true));
    }

    private static long writeStatfs(SyscallContext c, long buf, VirtualFs.Resolved r) throws FsError {
        ByteBuffer b = ByteBuffer.allocate(STATFS_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        long type = r.inProc() ? PROC_SUPER_MAGIC : DEVTMPFS_MAGIC, blocks = 0, free = 0, avail = 0;
        if (!r.synthetic()) {
            try {
                FileStore store = Files.getFileStore(r.host());
                type = switch (store.type()) {
                    case "ext4", "ext3", "ext2" -> EXT4_MAGIC;
                    case "overlay" -> OVERLAY_MAGIC;
                    case "xfs" -> XFS_MAGIC;
                    case "btrfs" -> BTRFS_MAGIC;
                    default -> TMPFS_MAGIC;
                };
                blocks = store.getTotalSpace() / AddressSpace.PAGE;
                free = store.getUnallocatedSpace() / AddressSpace.PAGE;
                avail = store.getUsableSpace() / AddressSpace.PAGE;
            } catch (IOException e) {
                throw new FsError(Errno.ENOENT);
            }
        }
        boolean readOnly = r.synthetic() || r.mount() == null || r.mount().readOnly();
        b.putLong(type).putLong(AddressSpace.PAGE).putLong(blocks).putLong(free).putLong(avail)
                .putLong(0).putLong(0)   // files, free files: not reported
                .putLong(0)               // fsid
                .putLong(255).putLong(AddressSpace.PAGE)
                .putLong((readOnly ? ST_RDONLY : 0) | ST_NOSUID | ST_NODEV);
        c.memory().write(buf, b.array());
        return 0;
    }

    /** Getxattr implements Linux syscall getxattr(2): no attribute exists. */
    static long getxattr(SyscallContext c) throws FsError {
        return noAttribute(c, SysArgs.resolve(c, AT_FDCWD, c.arg(0), true));
    }

    /** Lgetxattr implements Linux syscall lgetxattr(2): no attribute exists. */
    static long lgetxattr(SyscallContext c) throws FsError {
        return noAttribute(c, SysArgs.resolve(c, AT_FDCWD, c.arg(0), false));
    }

    /** Fgetxattr implements Linux syscall fgetxattr(2): no attribute exists. */
    static long fgetxattr(SyscallContext c) throws FsError {
        c.process().file(c.arg(0));
        SysArgs.path(c.memory(), c.arg(1));
        return Errno.ENODATA.negated();
    }

    /** Listxattr implements Linux syscall listxattr(2): an empty list. */
    static long listxattr(SyscallContext c) throws FsError {
        SysStat.statOf(SysArgs.resolve(c, AT_FDCWD, c.arg(0), true));
        return 0;
    }

    /** Llistxattr implements Linux syscall llistxattr(2): an empty list. */
    static long llistxattr(SyscallContext c) throws FsError {
        SysStat.statOf(SysArgs.resolve(c, AT_FDCWD, c.arg(0), false));
        return 0;
    }

    /** Flistxattr implements Linux syscall flistxattr(2): an empty list. */
    static long flistxattr(SyscallContext c) throws FsError {
        c.process().file(c.arg(0));
        return 0;
    }

    private static long noAttribute(SyscallContext c, VirtualFs.Resolved r) throws FsError {
        SysStat.statOf(r);
        SysArgs.path(c.memory(), c.arg(1));   // the name: EFAULT for a bad pointer, as Linux reads it first
        return Errno.ENODATA.negated();
    }
}
