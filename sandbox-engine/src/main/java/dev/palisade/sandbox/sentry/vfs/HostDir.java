package dev.palisade.sandbox.sentry.vfs;

import dev.palisade.sandbox.abi.Errno;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A directory opened for reading its entries (getdents64) or as a base for *at calls. */
public final class HostDir extends ListedDir {
    private final VirtualFs fs;
    private final String path;
    private final Path host;

    public HostDir(VirtualFs fs, String path, Path host) {
        super(path);
        this.fs = fs;
        this.path = path;
        this.host = host;
    }

    @Override
    public Path hostPath() {
        return host;
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
    List<DirEntry> list() throws FsError {
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
        return list;
    }
}
