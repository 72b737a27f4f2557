package dev.palisade.sandbox.sentry.vfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What stat(2) reports, independent of the struct layout. */
public record FileStat(long dev, long ino, int mode, long nlink, int uid, int gid, long rdev, long size,
                       long blksize, long blocks, long atimeNs, long mtimeNs, long ctimeNs) {
    public static final int S_IFMT = 0170000, S_IFREG = 0100000, S_IFDIR = 0040000, S_IFLNK = 0120000,
            S_IFCHR = 0020000, S_IFIFO = 0010000;

    public boolean isDirectory() {
        return (mode & S_IFMT) == S_IFDIR;
    }

    /** stat of a host path, not following a final symlink. */
    public static FileStat ofHost(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
        long size = ((Number) a.get("size")).longValue();
        return new FileStat(((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue(),
                ((Number) a.get("mode")).intValue(), ((Number) a.get("nlink")).longValue(),
                ((Number) a.get("uid")).intValue(), ((Number) a.get("gid")).intValue(),
                ((Number) a.get("rdev")).longValue(), size, 4096, (size + 4095) / 4096 * 8,
                ns((FileTime) a.get("lastAccessTime")), ns((FileTime) a.get("lastModifiedTime")), ns((FileTime) a.get("ctime")));
    }

    private static long ns(FileTime t) {
        return t == null ? 0 : t.to(TimeUnit.NANOSECONDS);
    }

    /** The same stat with another owner. */
    public FileStat withOwner(int uid, int gid) {
        return new FileStat(dev, ino, mode, nlink, uid, gid, rdev, size, blksize, blocks, atimeNs, mtimeNs, ctimeNs);
    }

    public static FileStat synthetic(int mode, long rdev, long ino) {
        long now = System.currentTimeMillis() * 1_000_000L;
        return new FileStat(5, ino, mode, 1, 0, 0, rdev, 0, 4096, 0, now, now, now);
    }
}
