package dev.palisade.sandbox.sentry.vfs;

import dev.palisade.sandbox.abi.Errno;

import java.util.List;

/**
 * An open directory whose entries are listed once, at the first read, and handed out from a
 * cursor (getdents64, lseek, rewinddir): the part a host directory and a /proc directory share.
 */
abstract class ListedDir extends OpenFile {
    private final String path;
    private List<DirEntry> entries;
    private int pos;

    ListedDir(String path) {
        super(0);
        this.path = path;
        this.openedPath = path;
    }

    /** The entries, "." and ".." included, in the order they are read. */
    abstract List<DirEntry> list() throws FsError;

    @Override
    public String directoryPath() {
        return path;
    }

    @Override
    public long read(java.nio.ByteBuffer[] dst) throws FsError {
        throw new FsError(Errno.EISDIR);
    }

    @Override
    public List<DirEntry> readDir(int max) throws FsError {
        if (entries == null) {
            entries = list();
        }
        int start = Math.min(pos, entries.size());   // fuzz finding: lseek(dir, 2^31-1) overflowed pos + max
        int end = (int) Math.min(entries.size(), (long) start + max);
        pos = end;
        return entries.subList(start, end);
    }

    @Override
    public void unread(int n) {
        pos -= n;
    }

    @Override
    public long seek(long offset, int whence) throws FsError {
        if (whence == 0 && offset >= 0) {
            pos = (int) Math.min(offset, Integer.MAX_VALUE);
            if (offset == 0) {
                entries = null;   // rewinddir lists again
            }
            return offset;
        }
        throw new FsError(Errno.EINVAL);
    }
}
