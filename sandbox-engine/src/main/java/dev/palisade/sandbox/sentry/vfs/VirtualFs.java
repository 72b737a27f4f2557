package dev.palisade.sandbox.sentry.vfs;

import dev.palisade.sandbox.abi.Errno;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The filesystem a sandboxed program sees: a read-only root (an image, or the host's userland
 * with secrets left out), a writable {@code /workspace} and {@code /tmp}, extra binds, and a
 * synthetic {@code /dev}.
 *
 * <p>Paths are resolved here, in Java, one component at a time: {@code ..} never climbs above the
 * sandbox root, every symlink met on the way is read and its target resolved again inside the
 * sandbox (an absolute target restarts at the sandbox root, not the host's), so no path can name
 * a host file outside the mounts. Host files are then opened without following a final symlink
 * (the resolver has already followed it where it should), and only regular files and
 * directories are ever opened on the host: device nodes, FIFOs and sockets are refused.
 */
public final class VirtualFs {
    /**
     * One host directory visible at {@code at} (an absolute sandbox path); {@code bound}: the disk
     * bound the Sentry keeps for it, or null when it is not the Sentry's to bound (read-only, a bind,
     * a caller's workspace).
     */
    public record Mount(String at, Path host, boolean readOnly, DiskBound bound) {
        public Mount(String at, Path host, boolean readOnly) {
            this(at, host, readOnly, null);
        }
    }

    /**
     * A resolved path: the sandbox path (symlinks followed), its mount and the host path;
     * {@code proc}: the {@code /proc} entry it names (null for other paths, and when the entry
     * went away during the walk: a process that ended).
     */
    public record Resolved(String path, Mount mount, Path host, boolean synthetic, ProcFs.Node proc) {
        public Resolved(String path, Mount mount, Path host, boolean synthetic) {
            this(path, mount, host, synthetic, null);
        }

        /** Whether it is under the synthetic {@code /proc}, or one of the {@code /dev} links into it. */
        public boolean inProc() {
            return synthetic && (proc != null || ProcFs.isProcPath(path));
        }
    }

    /** Top-level directories of the host that a host-userland root shows. */
    static final Set<String> HOST_ROOT_ALLOWED = Set.of("bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "opt");
    /** Secrets under an allowed directory that the host-userland root hides. */
    static final Set<String> HOST_SECRETS = Set.of("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-",
            "/etc/ssh", "/etc/ssl/private", "/etc/sudoers", "/etc/sudoers.d", "/etc/security/opasswd", "/etc/machine-id");

    /** Synthetic device files. */
    public static final Set<String> DEVICES = Set.of("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full");

    /** Where a platform mounts the sandbox's own shared-memory directory (shm_open, sem_open), inside the synthetic /dev. */
    public static final String SHM = "/dev/shm";

    /** Whether {@code p} lies in a directory mounted inside the synthetic /dev ({@link #SHM}). */
    private boolean inDevMount(String p) {
        for (Mount m : mounts) {
            if (m.at().startsWith("/dev/") && (p.equals(m.at()) || p.startsWith(m.at() + "/"))) {
                return true;
            }
        }
        return false;
    }

    /** Links of /dev into /proc, as a Linux /dev has them (there only when /proc is served). */
    public static final Map<String, String> DEV_LINKS = Map.of("/dev/fd", "/proc/self/fd", "/dev/stdin", "/proc/self/fd/0",
            "/dev/stdout", "/proc/self/fd/1", "/dev/stderr", "/proc/self/fd/2");

    private static final int MAX_SYMLINKS = 40;

    private final List<Mount> mounts;
    private final boolean hostRoot;
    /** The synthetic /proc, when the platform serves one (KVM); null: no /proc. */
    private volatile ProcFs proc;

    /**
     * @param root      image directory, or null for the host's userland (filtered)
     * @param workspace writable directory at /workspace
     * @param tmp       writable directory at /tmp
     * @param binds     further mounts
     */
    public VirtualFs(Path root, Path workspace, Path tmp, List<Mount> binds) {
        this(root, workspace, null, tmp, null, binds);
    }

    /**
     * As above, with the disk bounds the Sentry keeps for a fresh {@code /workspace} and
     * {@code /tmp} (null: not bounded here).
     */
    public VirtualFs(Path root, Path workspace, DiskBound workspaceBound, Path tmp, DiskBound tmpBound, List<Mount> binds) {
        this.hostRoot = root == null;
        List<Mount> m = new ArrayList<>();
        m.add(new Mount("/", root == null ? Path.of("/") : root.toAbsolutePath().normalize(), true));
        m.add(new Mount("/workspace", workspace.toAbsolutePath().normalize(), false, workspaceBound));
        m.add(new Mount("/tmp", tmp.toAbsolutePath().normalize(), false, tmpBound));
        m.addAll(binds);
        m.sort(Comparator.comparingInt((Mount x) -> x.at().length()).reversed());
        this.mounts = List.copyOf(m);
    }

    /** The program's identity on the KVM platform: the owner of the files it makes. */
    public static final int PROGRAM_UID = 1000, PROGRAM_GID = 1000;
    /** Who the engine runs as: the host owner of every file the Sentry makes for a program. */
    private static final int ENGINE_UID = engineUid();

    private static int engineUid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * A stat as the program sees it: on a fresh /workspace or /tmp (the Sentry's own, bounded by
     * its account), every file the engine owns on the host was made by the Sentry for a program,
     * so it is the program's (on ptrace the kernel makes it with the program's identity; git, for
     * one, refuses a repository its user does not own). Elsewhere, the image's files and a
     * caller's workspace, files keep their host owners: there the engine's files may be the caller's.
     */
    public static FileStat asSeen(Mount m, FileStat st) {
        return m != null && !m.readOnly() && m.bound() != null && st.uid() == ENGINE_UID
                ? st.withOwner(PROGRAM_UID, PROGRAM_GID) : st;
    }

    /** As {@link #asSeen(Mount, FileStat)} for an open file, by the mount its host path lies in. */
    public FileStat asSeen(Path host, FileStat st) {
        if (host == null || st.uid() != ENGINE_UID) {
            return st;
        }
        Mount best = null;
        for (Mount m : mounts) {
            if (host.startsWith(m.host()) && (best == null || m.host().getNameCount() > best.host().getNameCount())) {
                best = m;
            }
        }
        return asSeen(best, st);
    }

    private final FileLocks locks = new FileLocks();

    /** The flock(2) locks of the sandbox's processes. */
    public FileLocks locks() {
        return locks;
    }

    /** Serves {@code proc} at {@code /proc} (the platform's view of the sandbox's processes). */
    public void mountProc(ProcFs proc) {
        this.proc = proc;
    }

    public ProcFs proc() {
        return proc;
    }

    public List<Mount> mounts() {
        return mounts;
    }

    /** The disk bounds the Sentry keeps (a fresh /workspace, /tmp). */
    public List<DiskBound> bounds() {
        return mounts.stream().map(Mount::bound).filter(java.util.Objects::nonNull).toList();
    }

    /** The mount holding sandbox path {@code p} (normalised, absolute). */
    Mount mountOf(String p) {
        for (Mount m : mounts) {
            if (m.at().equals("/") || p.equals(m.at()) || p.startsWith(m.at() + "/")) {
                return m;
            }
        }
        throw new IllegalStateException("no root mount");
    }

    Path hostOf(Mount m, String p) {
        String rest = m.at().equals("/") ? p.substring(1) : p.substring(m.at().length());
        while (rest.startsWith("/")) {
            rest = rest.substring(1);
        }
        return rest.isEmpty() ? m.host() : m.host().resolve(rest);
    }

    /** Whether a sandbox path is hidden (does not exist for the program). */
    boolean hidden(String p) {
        if (p.equals("/dev") || p.startsWith("/dev/")) {
            return false;   // synthetic
        }
        if (proc != null && ProcFs.isProcPath(p)) {
            return false;
        }
        Mount m = mountOf(p);
        if (!m.at().equals("/") || !hostRoot) {
            return false;
        }
        if (p.equals("/")) {
            return false;
        }
        int slash = p.indexOf('/', 1);
        String top = slash < 0 ? p.substring(1) : p.substring(1, slash);
        if (!HOST_ROOT_ALLOWED.contains(top)) {
            return true;
        }
        for (String s : HOST_SECRETS) {
            if (p.equals(s) || p.startsWith(s + "/")) {
                return true;
            }
        }
        return false;
    }

    /** Names a directory listing of sandbox directory {@code p} may show (filters hidden ones and adds mount points). */
    public boolean visibleChild(String dir, String name) {
        String child = dir.equals("/") ? "/" + name : dir + "/" + name;
        return !hidden(child);
    }

    /** Mount points directly inside {@code dir} that its host directory may not contain. */
    public List<String> mountPointsIn(String dir) {
        List<String> out = new ArrayList<>();
        for (Mount m : mounts) {
            if (m.at().equals("/")) {
                continue;
            }
            int last = m.at().lastIndexOf('/');
            String parent = last == 0 ? "/" : m.at().substring(0, last);
            if (parent.equals(dir)) {
                out.add(m.at().substring(last + 1));
            }
        }
        if (dir.equals("/")) {
            out.add("dev");
            if (proc != null) {
                out.add("proc");
            }
        }
        return out;
    }

    /**
     * Resolves {@code path} (absolute, or relative to {@code cwd}) inside the sandbox.
     *
     * @param followLast follow a symlink in the last component (false for lstat, readlink, unlink…)
     */
    public Resolved resolve(String cwd, String path, boolean followLast) throws FsError {
        return resolve(0, cwd, path, followLast);
    }

    /**
     * As {@link #resolve(String, String, boolean)} for the sandbox process {@code caller}, whom
     * {@code /proc/self} names (0: nobody, so {@code /proc/self} does not exist).
     */
    public Resolved resolve(int caller, String cwd, String path, boolean followLast) throws FsError {
        ProcFs procFs = proc;
        ProcFs.Node procNode = null;
        if (path.isEmpty()) {
            throw new FsError(Errno.ENOENT);
        }
        if (path.length() > 4095) {
            throw new FsError(Errno.ENAMETOOLONG);
        }
        Deque<String> todo = new ArrayDeque<>();
        List<String> done = new ArrayList<>();
        if (!path.startsWith("/")) {
            for (String c : cwd.split("/")) {
                if (!c.isEmpty()) {
                    done.add(c);
                }
            }
        }
        for (String c : path.split("/")) {
            todo.addLast(c);
        }
        boolean trailingSlash = path.endsWith("/");
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.pollFirst();
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (!done.isEmpty()) {
                    done.remove(done.size() - 1);
                }
                continue;
            }
            boolean underProc = procFs != null && (done.isEmpty() ? c.equals("proc") : done.get(0).equals("proc"));
            if (c.length() > 255 && !underProc) {   // procfs has no name length: a long name is just not there
                throw new FsError(Errno.ENAMETOOLONG);
            }
            done.add(c);
            String sp = join(done);
            if (hidden(sp)) {
                throw new FsError(Errno.ENOENT);
            }
            boolean last = todo.stream().allMatch(x -> x.isEmpty() || x.equals("."));
            procNode = null;
            if (procFs != null && ProcFs.isProcPath(sp)) {
                ProcFs.Node n = procFs.lookup(caller, sp);
                if (n == null) {
                    throw new FsError(Errno.ENOENT);   // as procfs: no name can be created, so even the last is ENOENT
                }
                if (n.kind() == ProcFs.Kind.LINK && (!last || followLast || trailingSlash || !todo.isEmpty())) {
                    if (++links > MAX_SYMLINKS) {
                        throw new FsError(Errno.ELOOP);
                    }
                    if (n.object() != null) {
                        // a descriptor's pipe or socket: no path to walk on, the open file itself
                        if (!last || trailingSlash || !todo.isEmpty()) {
                            throw new FsError(Errno.ENOTDIR);
                        }
                        procNode = n.followed();
                        continue;
                    }
                    // the target is a sandbox path (or a pid under /proc) and is walked inside the sandbox like any link
                    follow(done, todo, n.link());
                    continue;
                }
                if (!last && n.kind() != ProcFs.Kind.DIR) {
                    throw new FsError(Errno.ENOTDIR);
                }
                procNode = n;
                continue;
            }
            String devLink = procFs != null ? DEV_LINKS.get(sp) : null;
            if (devLink != null) {
                if (!last || followLast || trailingSlash || !todo.isEmpty()) {
                    if (++links > MAX_SYMLINKS) {
                        throw new FsError(Errno.ELOOP);
                    }
                    follow(done, todo, devLink);
                    continue;
                }
                procNode = new ProcFs.Node(ProcFs.Kind.LINK, sp, 0777, 0, null, devLink, null);
                continue;
            }
            if (sp.startsWith("/dev") && !inDevMount(sp)) {
                if (sp.equals("/dev") || (DEVICES.contains(sp) && last)) {
                    continue;
                }
                throw new FsError(Errno.ENOENT);
            }
            Mount m = mountOf(sp);
            Path hp = hostOf(m, sp);
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(hp, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                if (last) {
                    break;   // may be created
                }
                throw new FsError(Errno.ENOENT);
            }
            if (a.isSymbolicLink() && (!last || followLast || trailingSlash || !todo.isEmpty())) {   // "link/." names the target
                if (++links > MAX_SYMLINKS) {
                    throw new FsError(Errno.ELOOP);
                }
                String target;
                try {
                    target = Files.readSymbolicLink(hp).toString();
                } catch (IOException e) {
                    throw new FsError(Errno.EIO);
                }
                follow(done, todo, target);
                continue;
            }
            if (!last && !a.isDirectory()) {
                throw new FsError(Errno.ENOTDIR);
            }
        }
        String sp = join(done);
        if (procFs != null && ProcFs.isProcPath(sp)) {
            if (procNode == null || !procNode.path().equals(sp)) {   // a ".." after the last /proc entry walked
                procNode = procFs.lookup(caller, sp);
            }
            return new Resolved(sp, mountOf("/"), null, true, procNode);
        }
        if (procNode != null && DEV_LINKS.containsKey(sp)) {
            return new Resolved(sp, mountOf("/"), null, true, procNode);
        }
        if (sp.equals("/dev") || DEVICES.contains(sp)) {
            return new Resolved(sp, mountOf("/"), null, true);
        }
        Mount m = mountOf(sp);
        return new Resolved(sp, m, hostOf(m, sp), false);
    }

    /** Replaces the link just walked ({@code done}'s last component) by its target: from the sandbox root when absolute. */
    private static void follow(List<String> done, Deque<String> todo, String target) {
        done.remove(done.size() - 1);
        if (target.startsWith("/")) {
            done.clear();
        }
        String[] parts = target.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            todo.addFirst(parts[i]);
        }
    }

    private static String join(List<String> parts) {
        if (parts.isEmpty()) {
            return "/";
        }
        StringBuilder b = new StringBuilder();
        for (String p : parts) {
            b.append('/').append(p);
        }
        return b.toString();
    }

    /** Throws EROFS unless the resolved path may be changed. */
    public static void checkWritable(Resolved r) throws FsError {
        if (r.inProc()) {
            throw new FsError(Errno.EACCES);   // procfs' directories are r-x for the sandbox's uid
        }
        if (r.synthetic() || r.mount().readOnly()) {
            throw new FsError(Errno.EROFS);
        }
    }
}
