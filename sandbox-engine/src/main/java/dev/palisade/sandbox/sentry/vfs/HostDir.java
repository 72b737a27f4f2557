package dev.palisade.sandbox.sentry.vfs;

import dev.palisade.sandbox.abi.Errno;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A directory opened for reading its entries (getdents64) or as a base for *at calls. */
public final class HostDir extends OpenFile {
    private final VirtualFs fs;
    private final String path;
    private final Path host;
    private List<DirEntry> entries;
    private int pos;

    public HostDir(VirtualFs fs, String path, Path host) {
        super(0);
        this.fs = fs;
        this.path = path;
        this.host = host;
        this.openedPath = path;
    }

    @Override
    public String directoryPath() {
        return path;
    }

    @Override
    public FileStat stat() throws FsError {
        if (host == null) {
            return FileStat.synthetic(FileStat.S_IFDIR | 0755, 0, 2);
        }
        try {
            return FileStat.ofHost(host);
        } catch (IOException e) {
            throw new FsError(Errno.EIO);
        }
    }

    @Override
    public long read(java.nio.ByteBuffer[] dst) throws FsError {
        throw new FsError(Errno.EISDIR);
    }

    private void load() throws FsError {
        List<DirEntry> list = new ArrayList<>();
        FileStat self = stat();
        list.add(new DirEntry(self.ino(), 4, "."));
        list.add(new DirEntry(self.ino(), 4, ".."));
        List<String> names = new ArrayList<>();
        if (host != null) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(host)) {
                for (Path p : ds) {
                    String name = p.getFileName().toString();
                    if (fs.visibleChild(path, name)) {
                        names.add(name);
                        int type;
                        long ino;
                        try {
                            FileStat st = FileStat.ofHost(p);
                            ino = st.ino();
                            type = switch (st.mode() & FileStat.S_IFMT) {
                                case FileStat.S_IFDIR -> 4;
                                case FileStat.S_IFREG -> 8;
                                case FileStat.S_IFLNK -> 10;
                                case FileStat.S_IFCHR -> 2;
                                case FileStat.S_IFIFO -> 1;
                                default -> 0;
                            };
                        } catch (IOException e) {
                            ino = 1;
                            type = 0;
                        }
                        list.add(new DirEntry(ino, type, name));
                    }
                }
            } catch (IOException e) {
                throw new FsError(Errno.EIO);
            }
        } else {
            for (String d : VirtualFs.DEVICES) {
                String name = d.substring("/dev/".length());
                names.add(name);
                list.add(new DirEntry(100 + names.size(), 2, name));
            }
            if (fs.proc() != null) {
                for (String d : VirtualFs.DEV_LINKS.keySet()) {
                    String name = d.substring("/dev/".length());
                    names.add(name);
                    list.add(new DirEntry(100 + names.size(), 10, name));
                }
            }
        }
        for (String mp : fs.mountPointsIn(path)) {
            if (!names.contains(mp)) {
                list.add(new DirEntry(3, 4, mp));
            }
        }
        entries = list;
    }

    @Override
    public List<DirEntry> readDir(int max) throws FsError {
        if (entries == null) {
            load();
        }
        int start = Math.min(pos, entries.size());   // fuzz finding: lseek(dir, 2^31-1) overflowed pos + max
        int end = (int) Math.min(entries.size(), (long) start + max);
        List<DirEntry> out = entries.subList(start, end);
        pos = end;
        return out;
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
                entries = null;
            }
            return offset;
        }
        throw new FsError(Errno.EINVAL);
    }
}
