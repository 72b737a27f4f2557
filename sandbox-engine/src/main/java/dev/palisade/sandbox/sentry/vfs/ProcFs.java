package dev.palisade.sandbox.sentry.vfs;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.abi.Errno;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A synthetic, read-only {@code /proc} for a platform whose processes only the Sentry knows
 * (KVM): {@code /proc/<pid>} for each process of the sandbox and nothing of the host's, and the
 * resource views of {@link ProcText}. {@link VirtualFs} walks it while resolving a path, so every
 * path call sees it; its links ({@code self}, {@code exe}, {@code cwd}, {@code root},
 * {@code fd/N}) name sandbox paths and are followed inside the sandbox like any symlink.
 *
 * <p>A file's text is made when it is opened (a snapshot, as Linux makes a seq file's at each
 * read from the start), so stat shows size 0, as procfs does.
 */
public final class ProcFs {
    /** procfs' device number as stat shows it (anonymous device 0:22). */
    private static final long DEV = 22;
    private static final int UID = 1000, GID = 1000;
    private static final String[] TOP_FILES = {"cpuinfo", "filesystems", "loadavg", "meminfo", "mounts", "stat", "uptime", "version"};
    private static final String[] PID_ENTRIES = {"cmdline", "comm", "cwd", "environ", "exe", "fd", "limits", "maps",
            "mountinfo", "mounts", "root", "stat", "status", "task"};

    public enum Kind { DIR, FILE, LINK }

    /** A file's text, made at open; may refuse with an errno (another process's environ). */
    @FunctionalInterface
    public interface Content {
        byte[] make() throws FsError;
    }

    /**
     * One entry: a directory, a file (its {@code content}) or a link (its {@code link} text, and
     * for a descriptor that is no path — a pipe, a socket — the open file as {@code object}).
     */
    public record Node(Kind kind, String path, int mode, int uid, Content content, String link, OpenFile object, int dirSize) {
        Node(Kind kind, String path, int mode, int uid, Content content, String link, OpenFile object) {
            this(kind, path, mode, uid, content, link, object, 0);
        }

        public FileStat stat() throws FsError {
            if (object != null && kind == Kind.FILE) {
                return object.stat();
            }
            int type = switch (kind) {
                case DIR -> FileStat.S_IFDIR;
                case FILE -> FileStat.S_IFREG;
                case LINK -> FileStat.S_IFLNK;
            };
            long now = System.currentTimeMillis() * 1_000_000L;
            long size = kind == Kind.LINK ? 64 : Math.max(0, dirSize);
            return new FileStat(DEV, ino(path), type | mode, kind == Kind.DIR ? 2 : 1, uid, uid == 0 ? 0 : GID, 0, size,
                    1024, 0, now, now, now);
        }

        /** The open file a followed {@code fd/N} link of a pipe or socket stands for. */
        Node followed() {
            return new Node(Kind.FILE, path, 0, uid, null, null, object);
        }
    }

    /** A mapping as {@code maps} shows it: [start, end), PROT_* bits, file offset, device and inode, name or null. */
    public record Region(long start, long end, int prot, long offset, long dev, long ino, String name) {
    }

    /** What {@code /proc/<pid>} shows of one process of the sandbox. */
    public interface Process {
        int pid();

        int ppid();

        /** Its process group and session. */
        default int pgid() {
            return pid();
        }

        default int sid() {
            return pid();
        }

        /** The program's path in the sandbox. */
        String exe();

        String cwd();

        List<String> argv();

        List<String> environ();

        /** Its open descriptor {@code fd}, or null. */
        OpenFile fd(int fd);

        /** Its open descriptors, ascending. */
        int[] fds();

        /** Its mappings in address order (the heap and stack named). */
        List<Region> maps();

        /** Bytes of memory its pages use now, and at most so far. */
        long rssBytes();

        long peakRssBytes();

        int threads();

        /** The task's name (comm). */
        String comm();

        /** Soft and hard limit of resource {@code res} (0..15), -1 for none, as getrlimit says. */
        long[] rlimit(int res);

        int umask();

        /** Signal sets as bit masks (bit sig-1): pending, blocked, ignored, caught. */
        long[] signals();
    }

    /** The platform's side: the processes of the sandbox and its limits. */
    public interface Source {
        /** Pids of the sandbox's processes, ascending. */
        int[] pids();

        /** The process with this pid in the sandbox, or null: a pid outside it is never shown. */
        Process process(int pid);

        /** What meminfo shows as total memory. */
        long memoryBytes();

        /** The host CPUs whose cpuinfo blocks are shown. */
        int[] cpus();

        long uptimeNanos();

        Limits limits();

        /** The mounts the sandbox sees, as {@code mounts} lists them. */
        List<VirtualFs.Mount> mounts();
    }

    private final Source source;

    public ProcFs(Source source) {
        this.source = source;
    }

    public static boolean isProcPath(String p) {
        return p.equals("/proc") || p.startsWith("/proc/");
    }

    static long ino(String path) {
        return 0x10000L + (path.hashCode() & 0xffffffffL);
    }

    /**
     * The entry at {@code path} (an absolute, normalised path under /proc, without its links
     * followed) as process {@code caller} sees it; null when there is none.
     */
    public Node lookup(int caller, String path) {
        String[] c = path.substring("/proc".length()).split("/");
        List<String> parts = new ArrayList<>();
        for (String s : c) {
            if (!s.isEmpty()) {
                parts.add(s);
            }
        }
        if (parts.isEmpty()) {
            return dir(path, 0);
        }
        String first = parts.get(0);
        if (parts.size() == 1) {
            switch (first) {
                case "self" -> {
                    return caller <= 0 || source.process(caller) == null ? null : link(path, 0, String.valueOf(caller));
                }
                case "thread-self" -> {
                    return caller <= 0 || source.process(caller) == null ? null : link(path, 0, caller + "/task/" + caller);
                }
                case "mounts" -> {
                    return link(path, 0, "self/mounts");
                }
                default -> {
                    Content top = topFile(first);
                    if (top != null) {
                        return file(path, 0444, 0, top);
                    }
                }
            }
        }
        int pid = pidOf(first);
        Process p = pid > 0 ? source.process(pid) : null;
        if (p == null) {
            return null;
        }
        return pidEntry(p, caller, path, parts.subList(1, parts.size()), true);
    }

    private static int pidOf(String s) {
        if (s.isEmpty() || s.length() > 9 || !s.chars().allMatch(Character::isDigit) || (s.length() > 1 && s.charAt(0) == '0')) {
            return -1;
        }
        return Integer.parseInt(s);
    }

    /** An entry of {@code /proc/<pid>} (or of its {@code task/<tid>}, when {@code withTask} is false). */
    private Node pidEntry(Process p, int caller, String path, List<String> rest, boolean withTask) {
        if (rest.isEmpty()) {
            return dir(path, UID);
        }
        String name = rest.get(0);
        if (name.equals("task") && withTask) {
            if (rest.size() == 1) {
                return dir(path, UID);
            }
            return pidOf(rest.get(1)) == p.pid() ? pidEntry(p, caller, path, rest.subList(2, rest.size()), false) : null;
        }
        if (name.equals("fd")) {
            if (rest.size() == 1) {
                return new Node(Kind.DIR, path, 0500, UID, null, null, null, p.fds().length);   // Linux: its size is the open count
            }
            int fd = rest.size() == 2 ? pidOf(rest.get(1)) : -1;
            OpenFile f = fd >= 0 ? p.fd(fd) : null;
            if (f == null) {
                return null;
            }
            String target = describe(f);
            boolean isPath = f.openedPath != null;
            // as Linux: r-x for a descriptor open for reading, -wx for writing
            int mode = (f.readable() ? 0500 : 0) | (f.writable() ? 0300 : 0);
            return new Node(Kind.LINK, path, mode, UID, null, target, isPath ? null : f);
        }
        if (rest.size() != 1) {
            return null;
        }
        return switch (name) {
            case "exe" -> link(path, UID, p.exe());
            case "cwd" -> link(path, UID, p.cwd());
            case "root" -> link(path, UID, "/");
            case "cmdline" -> file(path, 0444, UID, () -> nulTerminated(p.argv()));
            case "environ" -> file(path, 0400, UID, () -> {
                if (p.pid() != caller) {
                    throw new FsError(Errno.EACCES);   // only a process's own environment is readable here
                }
                return nulTerminated(p.environ());
            });
            case "comm" -> file(path, 0644, UID, () -> bytes(p.comm() + "\n"));
            case "stat" -> file(path, 0444, UID, () -> bytes(stat(p, caller)));
            case "status" -> file(path, 0444, UID, () -> bytes(status(p, caller)));
            case "maps" -> file(path, 0444, UID, () -> bytes(maps(p)));
            case "limits" -> file(path, 0444, UID, () -> bytes(limits(p)));
            case "mounts" -> file(path, 0444, UID, () -> bytes(mounts()));
            case "mountinfo" -> file(path, 0444, UID, () -> bytes(mountinfo()));
            default -> null;
        };
    }

    /** The entries of directory node {@code dir} as {@code caller} lists them. */
    public List<OpenFile.DirEntry> list(int caller, Node dir) {
        List<OpenFile.DirEntry> out = new ArrayList<>();
        out.add(new OpenFile.DirEntry(ino(dir.path()), 4, "."));
        out.add(new OpenFile.DirEntry(ino(dir.path()), 4, ".."));
        String path = dir.path();
        if (path.equals("/proc")) {
            for (String f : TOP_FILES) {
                out.add(new OpenFile.DirEntry(ino("/proc/" + f), f.equals("mounts") ? 10 : 8, f));
            }
            if (caller > 0 && source.process(caller) != null) {
                out.add(new OpenFile.DirEntry(ino("/proc/self"), 10, "self"));
                out.add(new OpenFile.DirEntry(ino("/proc/thread-self"), 10, "thread-self"));
            }
            for (int pid : source.pids()) {
                out.add(new OpenFile.DirEntry(ino("/proc/" + pid), 4, String.valueOf(pid)));
            }
            return out;
        }
        String[] parts = path.split("/");
        Process p = source.process(pidOf(parts[2]));
        if (p == null) {
            return out;
        }
        String last = parts[parts.length - 1];
        if (last.equals("fd")) {
            for (int fd : p.fds()) {
                out.add(new OpenFile.DirEntry(ino(path + "/" + fd), 10, String.valueOf(fd)));
            }
        } else if (last.equals("task")) {
            out.add(new OpenFile.DirEntry(ino(path + "/" + p.pid()), 4, String.valueOf(p.pid())));
        } else {
            boolean inTask = parts.length > 3 && parts[3].equals("task");
            for (String e : PID_ENTRIES) {
                if (inTask && e.equals("task")) {
                    continue;
                }
                int type = switch (e) {
                    case "fd", "task" -> 4;
                    case "cwd", "exe", "root" -> 10;
                    default -> 8;
                };
                out.add(new OpenFile.DirEntry(ino(path + "/" + e), type, e));
            }
        }
        return out;
    }

    /** Opens a node found by {@link #lookup}: a snapshot of a file, a listing of a directory. */
    public OpenFile open(int caller, Node n) throws FsError {
        return switch (n.kind()) {
            case DIR -> new Dir(n.path(), () -> list(caller, n), n.stat());
            case FILE -> {
                if (n.object() != null) {   // a followed fd/N of a pipe or socket: that open file again
                    n.object().retain();
                    yield n.object();
                }
                yield new Text(n.path(), n.content().make(), n.stat());
            }
            case LINK -> throw new FsError(Errno.ELOOP);
        };
    }

    private static Node dir(String path, int uid) {
        return new Node(Kind.DIR, path, 0555, uid, null, null, null);
    }

    private static Node file(String path, int mode, int uid, Content content) {
        return new Node(Kind.FILE, path, mode, uid, content, null, null);
    }

    private static Node link(String path, int uid, String target) {
        return new Node(Kind.LINK, path, 0777, uid, null, target, null);
    }

    /** What readlink of {@code fd/N} says, as Linux: the path, or {@code pipe:[ino]}, {@code socket:[ino]}. */
    static String describe(OpenFile f) {
        if (f.openedPath != null) {
            return f.openedPath;
        }
        try {
            FileStat s = f.stat();
            return switch (s.mode() & FileStat.S_IFMT) {
                case FileStat.S_IFIFO -> "pipe:[" + s.ino() + "]";
                case 0140000 -> "socket:[" + s.ino() + "]";
                default -> "anon_inode:[" + f.getClass().getSimpleName().toLowerCase() + "]";
            };
        } catch (FsError e) {
            return "anon_inode:[unknown]";
        }
    }

    private Content topFile(String name) {
        return switch (name) {
            case "meminfo" -> () -> bytes(ProcText.meminfo(source.memoryBytes()));
            case "cpuinfo" -> () -> bytes(ProcText.cpuinfo(ProcText.hostCpuinfo(), source.cpus()));
            case "stat" -> () -> bytes(ProcText.stat(ProcText.hostStat(), source.cpus()));
            case "uptime" -> () -> {
                double s = source.uptimeNanos() / 1e9;
                return bytes(String.format("%.2f %.2f%n", s, 0.0));
            };
            case "loadavg" -> () -> {
                int[] pids = source.pids();
                return bytes(String.format("0.00 0.00 0.00 1/%d %d%n", pids.length, pids.length == 0 ? 0 : pids[pids.length - 1]));
            };
            case "filesystems" -> () -> bytes("nodev\tproc\nnodev\ttmpfs\nnodev\tdevtmpfs\n\text4\n");
            case "version" -> () -> bytes(ProcText.version());
            default -> null;
        };
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] nulTerminated(List<String> strings) {
        StringBuilder b = new StringBuilder();
        for (String s : strings) {
            b.append(s).append('\0');
        }
        return bytes(b.toString());
    }

    private static long vmSize(List<Region> maps) {
        long n = 0;
        for (Region r : maps) {
            n += r.end() - r.start();
        }
        return n;
    }

    private String stat(Process p, int caller) {
        List<Region> maps = p.maps();
        long[] sig = p.signals();
        StringBuilder b = new StringBuilder();
        b.append(p.pid()).append(" (").append(p.comm()).append(") ").append(p.pid() == caller ? 'R' : 'S')
                .append(' ').append(p.ppid()).append(' ').append(p.pgid()).append(' ').append(p.sid())   // ppid pgrp session
                .append(" 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 ").append(p.threads())                     // tty .. nice threads
                .append(" 0 0 ").append(vmSize(maps)).append(' ').append(p.rssBytes() / 4096)           // itreal start vsize rss
                .append(" 18446744073709551615 0 0 0 0 0 ")                                             // rsslim code stack esp eip
                .append(sig[0]).append(' ').append(sig[1]).append(' ').append(sig[2]).append(' ').append(sig[3])
                .append(" 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
        return b.toString();
    }

    private String status(Process p, int caller) {
        List<Region> maps = p.maps();
        long[] sig = p.signals();
        long kb = 1024;
        StringBuilder b = new StringBuilder();
        b.append("Name:\t").append(p.comm()).append('\n')
                .append(String.format("Umask:\t%04o%n", p.umask()))
                .append("State:\t").append(p.pid() == caller ? "R (running)" : "S (sleeping)").append('\n')
                .append("Tgid:\t").append(p.pid()).append('\n')
                .append("Ngid:\t0\n")
                .append("Pid:\t").append(p.pid()).append('\n')
                .append("PPid:\t").append(p.ppid()).append('\n')
                .append("TracerPid:\t0\n")
                .append("Uid:\t" + UID + "\t" + UID + "\t" + UID + "\t" + UID + "\n")
                .append("Gid:\t" + GID + "\t" + GID + "\t" + GID + "\t" + GID + "\n")
                .append("FDSize:\t").append(Math.max(64, Integer.highestOneBit(Math.max(1, p.fds().length)) * 2)).append('\n')
                .append("Groups:\t\n")
                .append("NStgid:\t").append(p.pid()).append('\n')
                .append("NSpid:\t").append(p.pid()).append('\n')
                .append("NSpgid:\t").append(p.pgid()).append('\n')
                .append("NSsid:\t").append(p.sid()).append('\n')
                .append(String.format("VmPeak:\t%8d kB%n", vmSize(maps) / kb))
                .append(String.format("VmSize:\t%8d kB%n", vmSize(maps) / kb))
                .append(String.format("VmLck:\t%8d kB%n", 0))
                .append(String.format("VmPin:\t%8d kB%n", 0))
                .append(String.format("VmHWM:\t%8d kB%n", p.peakRssBytes() / kb))
                .append(String.format("VmRSS:\t%8d kB%n", p.rssBytes() / kb))
                .append(String.format("RssAnon:\t%8d kB%n", p.rssBytes() / kb))
                .append(String.format("RssFile:\t%8d kB%n", 0))
                .append(String.format("RssShmem:\t%8d kB%n", 0))
                .append(String.format("VmSwap:\t%8d kB%n", 0))
                .append("Threads:\t").append(p.threads()).append('\n')
                .append("SigQ:\t0/").append(source.limits().maxProcesses()).append('\n')
                .append(String.format("SigPnd:\t%016x%nShdPnd:\t%016x%nSigBlk:\t%016x%nSigIgn:\t%016x%nSigCgt:\t%016x%n",
                        sig[0], sig[0], sig[1], sig[2], sig[3]))
                .append("CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n")
                .append("CapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\n")
                .append("NoNewPrivs:\t1\n")
                .append("Seccomp:\t0\n")
                .append("Cpus_allowed_list:\t0\n")
                .append("voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
        return b.toString();
    }

    /** The mappings, in Linux's format: the name starts at column 74. */
    static String maps(Process p) {
        StringBuilder b = new StringBuilder();
        for (Region r : p.maps()) {
            int lineStart = b.length();
            long major = (r.dev() >>> 8) & 0xfff, minor = (r.dev() & 0xff) | ((r.dev() >>> 12) & 0xfff00);
            b.append(String.format("%08x-%08x %c%c%cp %08x %02x:%02x %d ", r.start(), r.end(),
                    (r.prot() & 1) != 0 ? 'r' : '-', (r.prot() & 2) != 0 ? 'w' : '-', (r.prot() & 4) != 0 ? 'x' : '-',
                    r.offset(), major, minor, r.ino()));
            if (r.name() != null) {
                while (b.length() - lineStart < 73) {
                    b.append(' ');
                }
                b.append(r.name());
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** Linux's rows of /proc/&lt;pid&gt;/limits, in resource order (RLIMIT_CPU = 0 …). */
    private static final String[][] LIMIT_ROWS = {{"Max cpu time", "seconds"}, {"Max file size", "bytes"},
            {"Max data size", "bytes"}, {"Max stack size", "bytes"}, {"Max core file size", "bytes"},
            {"Max resident set", "bytes"}, {"Max processes", "processes"}, {"Max open files", "files"},
            {"Max locked memory", "bytes"}, {"Max address space", "bytes"}, {"Max file locks", "locks"},
            {"Max pending signals", "signals"}, {"Max msgqueue size", "bytes"}, {"Max nice priority", ""},
            {"Max realtime priority", ""}, {"Max realtime timeout", "us"}};

    private static String limits(Process p) {
        StringBuilder b = new StringBuilder(String.format("%-25s %-20s %-20s %-10s%n", "Limit", "Soft Limit", "Hard Limit", "Units"));
        for (int res = 0; res < LIMIT_ROWS.length; res++) {
            long[] l = p.rlimit(res);
            String unit = LIMIT_ROWS[res][1];
            b.append(String.format("%-25s %-20s %-20s " + (unit.isEmpty() ? "" : "%-10s") + "%n", LIMIT_ROWS[res][0],
                    l[0] < 0 ? "unlimited" : l[0], l[1] < 0 ? "unlimited" : l[1], unit));
        }
        return b.toString();
    }

    private String mounts() {
        StringBuilder b = new StringBuilder();
        for (VirtualFs.Mount m : mountsInOrder()) {
            b.append(m.at().equals("/") ? "/dev/root" : "none").append(' ').append(m.at()).append(' ')
                    .append(m.at().equals("/") ? "ext4" : "tmpfs").append(' ').append(m.readOnly() ? "ro" : "rw")
                    .append(",nosuid,nodev 0 0\n");
        }
        b.append("proc /proc proc ro,nosuid,nodev,noexec 0 0\n");
        b.append("devtmpfs /dev devtmpfs ro,nosuid 0 0\n");
        return b.toString();
    }

    private String mountinfo() {
        StringBuilder b = new StringBuilder();
        int id = 30;   // mount ids, and the anonymous device numbers of the mounts (apart from procfs' DEV)
        for (VirtualFs.Mount m : mountsInOrder()) {
            b.append(id).append(' ').append(m.at().equals("/") ? 1 : 30).append(" 0:").append(id).append(" / ").append(m.at())
                    .append(' ').append(m.readOnly() ? "ro" : "rw").append(",nosuid,nodev - ")
                    .append(m.at().equals("/") ? "ext4 /dev/root" : "tmpfs none").append(' ').append(m.readOnly() ? "ro" : "rw")
                    .append('\n');
            id++;
        }
        b.append(id).append(" 30 0:").append(DEV).append(" / /proc ro,nosuid,nodev,noexec - proc proc ro\n");
        b.append(id + 1).append(" 30 0:").append(id + 1).append(" / /dev ro,nosuid - devtmpfs devtmpfs ro\n");
        return b.toString();
    }

    private List<VirtualFs.Mount> mountsInOrder() {
        List<VirtualFs.Mount> l = new ArrayList<>(source.mounts());
        l.sort(java.util.Comparator.comparingInt((VirtualFs.Mount m) -> m.at().length()));
        return l;
    }

    /** An open /proc file: the snapshot made at open, read and sought like a file, never written. */
    static final class Text extends OpenFile {
        private final byte[] data;
        private final FileStat stat;
        private long position;

        Text(String path, byte[] data, FileStat stat) {
            super(0);
            this.openedPath = path;
            this.data = data;
            this.stat = stat;
        }

        @Override
        public long read(ByteBuffer[] dst) throws FsError {
            long n = pread(dst, position);
            position += n;
            return n;
        }

        @Override
        public long pread(ByteBuffer[] dst, long offset) throws FsError {
            if (offset < 0) {
                throw new FsError(Errno.EINVAL);
            }
            long n = 0;
            long at = offset;
            for (ByteBuffer b : dst) {
                if (at >= data.length) {
                    break;
                }
                int k = (int) Math.min(b.remaining(), data.length - at);
                b.put(data, (int) at, k);
                at += k;
                n += k;
            }
            return n;
        }

        @Override
        public long seek(long offset, int whence) throws FsError {
            long base = switch (whence) {
                case 0 -> 0;
                case 1 -> position;
                case 2 -> data.length;
                default -> throw new FsError(Errno.EINVAL);
            };
            if ((offset > 0 && base > Long.MAX_VALUE - offset) || base + offset < 0) {
                throw new FsError(Errno.EINVAL);
            }
            position = base + offset;
            return position;
        }

        @Override
        public FileStat stat() {
            return stat;
        }
    }

    /** An open /proc directory: its entries as listed at the first read (so {@code fd/} shows its own descriptor). */
    static final class Dir extends ListedDir {
        private final java.util.function.Supplier<List<DirEntry>> lister;
        private final FileStat stat;

        Dir(String path, java.util.function.Supplier<List<DirEntry>> lister, FileStat stat) {
            super(path);
            this.lister = lister;
            this.stat = stat;
        }

        @Override
        List<DirEntry> list() {
            return lister.get();
        }

        @Override
        public FileStat stat() {
            return stat;
        }
    }
}
