package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.NetworkPolicy;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.Ioctl;
import dev.palisade.sandbox.abi.OpenFlags;
import dev.palisade.sandbox.abi.SyscallNr;
import dev.palisade.sandbox.egress.EgressLink;
import dev.palisade.sandbox.egress.EgressNetwork;
import dev.palisade.sandbox.nativeinterop.Posix;
import dev.palisade.sandbox.nativeinterop.SeccompListener;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * The sandbox's namespaces and filesystem, made by injecting calls into its first processes:
 * in the stub at its fork (namespaces, the root, /dev, /tmp, the spec's binds and /workspace,
 * the pivot) and in the sandbox's init (/proc, loopback, identity, no_new_privs, the seccomp
 * filter). A prepared stub gets the spec-independent part ahead of time, the pivot into the
 * root included (as root), and forks its init ahead too, which mounts its /proc then.
 */
final class MountSetup {
    private final SandboxSpec spec;
    private final int uid, gid;
    private final RootFs fs;
    private final byte[] filter;
    /** The filter sends path calls to the Sentry: install it with a listener. */
    private final boolean servePaths;
    /** The stub's scratch mapping, shared with its init (blocked in vfork) until the workload's exec. */
    private long scratch;
    /** Size the stub gave /tmp (a prepared stub: the default's; init resizes it to the spec's). */
    private long stubTmpfsSize;
    /** The stub's mount namespace was made ahead of time: host mounts made since are not in it. */
    private boolean preparedEarlier;
    /** The stub is in the sandbox's root already (a prepared stub): host paths are out of its reach. */
    private boolean pivoted;
    /** The stub's Landlock ruleset with the rules made before the spec's mounts (init inherits it), or -1. */
    private long landlockRuleset = -1;
    /** The prepared stub forked init already, which mounted its /proc over every view and set no_new_privs ({@link #initAhead}). */
    private boolean initAhead;
    /** The sandbox's CPUs, which its /proc views show ({@link ProcViews}). */
    private int[] cpus;
    /** The sandbox's egress interface and rules (policy EGRESS), made once its network namespace exists. */
    private volatile EgressLink egress;

    MountSetup(SandboxSpec spec, int uid, int gid, RootFs fs, byte[] filter, boolean servePaths) {
        this.servePaths = servePaths;
        this.spec = spec;
        this.uid = uid;
        this.gid = gid;
        this.fs = fs;
        this.filter = filter;
    }

    /** Continues a stub prepared ahead of time with {@link #shared} (and its init with {@link #initAhead}). */
    void preparedEarlier(long scratch, long tmpfsSize, boolean pivoted, long landlockRuleset, boolean initAhead) {
        this.preparedEarlier = true;
        this.initAhead = initAhead;
        this.scratch = scratch;
        this.stubTmpfsSize = tmpfsSize;
        this.pivoted = pivoted;
        this.landlockRuleset = landlockRuleset;
    }

    boolean pivoted() {
        return pivoted;
    }

    long landlockRuleset() {
        return landlockRuleset;
    }

    long scratch() {
        return scratch;
    }

    /** The sandbox's CPUs (set before {@link #forSpec}, which writes the /proc views that show them). */
    void cpus(int[] cpus) {
        this.cpus = cpus;
    }

    long tmpfsSize() {
        return stubTmpfsSize;
    }

    private static final long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32,
            MS_BIND = 4096, MS_REC = 16384, MS_PRIVATE = 1 << 18;

    private static void mount(Injector in, String what, String source, String target, String type, long flags, String data) {
        in.reset();
        in.check(what + " (" + target + ")", SyscallNr.MOUNT, in.str(source), in.str(target), in.str(type), flags, in.str(data));
    }

    private static void bind(Injector in, String source, String target, boolean readOnly) {
        mount(in, "bind " + source, source, target, null, MS_BIND | MS_REC, null);
        mount(in, "remount", null, target, null, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | (readOnly ? MS_RDONLY : 0), null);
    }

    /** In the stub, at its fork: namespaces and every mount but /proc. */
    void stub(Injector in) {
        shared(in, false);
        forSpec(in);
    }

    private static final long CLONE_NEWUSER = 0x10000000L;

    /**
     * The part of the stub's setup no spec changes (done ahead of time in a prepared stub):
     * namespaces (a user namespace first when rootless), the root with the host's userland and its
     * masks, /dev, /tmp (at the default size; init resizes it), the hostname, the tmpfs of the
     * /proc views, the Landlock rules of what exists by then ({@link Landlock#prepare}), and with
     * {@code pivot} (a prepared stub, as root) the read-only root and the pivot into it.
     */
    void shared(Injector in, boolean pivot) {
        scratch = in.mapScratch();
        if (Rootless.ACTIVE) {
            in.check("unshare(user)", SyscallNr.UNSHARE, CLONE_NEWUSER);
            // entering a user namespace made the stub non-dumpable, which would lock the tracer out of its memory
            in.check("dumpable", SyscallNr.PRCTL, 4, 1, 0, 0, 0);
            Rootless.mapCallerToRoot(in.tid());
        }
        // the stub is in the sandbox's cgroup already: the cgroup namespace is rooted there
        long ns = 0x00020000L | 0x04000000L | 0x08000000L | 0x40000000L | 0x20000000L | 0x02000000L;
        in.check("unshare(mount, uts, ipc, net, pid, cgroup)", SyscallNr.UNSHARE, ns);
        mount(in, "make mounts private", null, "/", null, MS_REC | MS_PRIVATE, null);
        String r = fs.stage;
        if (fs.useSkeleton) {
            mount(in, "root skeleton", RootFs.SKEL.toString(), r, null, MS_BIND, null);
        } else if (fs.hostRoot == null) {
            mount(in, "root", "tmpfs", r, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=64k");
            fs.populateRoot(in.tid());
        } else {
            mount(in, "root image", fs.hostRoot.toString(), r, null, MS_BIND | MS_REC, null);
        }
        for (RootFs.Bind b : fs.binds) {
            bind(in, b.source(), b.target(), b.readOnly());
        }
        for (int i = 0; i < fs.masks.size(); i++) {
            String src = fs.maskIsDir.get(i) ? RootFs.EMPTY_DIR.toString() : RootFs.EMPTY_FILE.toString();
            mount(in, "mask", src, fs.masks.get(i), null, MS_BIND, null);
        }
        mount(in, "/dev", RootFs.DEV.toString(), r + "/dev", null, MS_BIND, null);
        mount(in, "/dev read-only", null, r + "/dev", null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, null);
        if (Rootless.ACTIVE) {
            // no mknod without root: the host's own device nodes, bound one by one
            for (String d : RootFs.DEVICES) {
                mount(in, "device", "/dev/" + d, r + "/dev/" + d, null, MS_BIND, null);
            }
        }
        stubTmpfsSize = spec.limits().diskBound();
        mount(in, "/tmp", "tmpfs", r + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
                "mode=1777,size=" + stubTmpfsSize + ",nr_inodes=" + spec.limits().diskInodes());
        in.reset();
        in.check("sethostname", SyscallNr.SETHOSTNAME, in.str("sandbox"), 7);
        if (pivot && !Rootless.ACTIVE) {
            // nothing the spec adds needs a host path in the stub's reach: see forSpec
            readOnlyRootAndPivot(in, r);
            pivoted = true;
            r = "";
        }
        parkProcViews(in, r);
        landlockRuleset = Landlock.prepare(in, spec, r);
    }

    /**
     * A small tmpfs for the /proc views on the /proc mount point, where init finds them before it
     * mounts its proc over them. The stub's working directory stays on it, so the engine writes
     * the views there through {@code /proc/<stub>/cwd}; on top, the same filesystem is bound
     * read-only, the mount init's binds clone (its flags with it). Writing through another mount
     * than the read-only one means no open file can keep that one from being made read-only.
     */
    private static void parkProcViews(Injector in, String r) {
        mount(in, "/proc views", "tmpfs", r + "/proc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k,nr_inodes=8");
        in.reset();
        in.check("chdir to the /proc views", SyscallNr.CHDIR, in.str(r + "/proc"));
        mount(in, "/proc views read-only", r + "/proc", r + "/proc", null, MS_BIND, null);
        mount(in, "/proc views read-only", null, r + "/proc", null,
                MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
    }

    private static void readOnlyRootAndPivot(Injector in, String r) {
        mount(in, "read-only root", null, r, null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, null);
        if (!Rootless.ACTIVE) {
            pivotInto(in, r);
        }
    }

    /**
     * The spec's part of the stub's setup: its binds, /workspace (a tmpfs of the disk bound, or
     * the host workspace), the /proc views, the read-only root, and (as root) the pivot into it,
     * unless a prepared stub made those two already: then a host file or directory is attached
     * from a clone of its mount that the engine makes ({@link #attachHostMount}). Rootless, the
     * sandbox's init pivots instead, after mounting its /proc: the kernel lets a user namespace
     * mount a proc only while a full one is visible in its mount namespace.
     */
    void forSpec(Injector in) {
        String r = pivoted ? "" : fs.stage;
        if (spec.network() == NetworkPolicy.EGRESS) {
            // the stub has its network namespace: the sandbox's interface goes in before anything runs there
            egress = EgressNetwork.attach(in.tid(), spec.egress());
            // a root without /etc/resolv.conf (a tenant's image) gets none: the bind's target must exist
            String conf = egress.resolvConf().toString();
            if (pivoted) {
                attachHostMount(in, conf, "/etc/resolv.conf", true, true);
            } else {
                in.reset();
                if (in.call(SyscallNr.MOUNT, in.str(conf), in.str(r + "/etc/resolv.conf"), 0, MS_BIND, 0) == 0) {
                    mount(in, "resolv.conf read-only", null, r + "/etc/resolv.conf", null,
                            MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, null);
                }
            }
        }
        if (spec.workspace() == null) {
            mount(in, "/workspace", "tmpfs", r + "/workspace", "tmpfs", MS_NOSUID | MS_NODEV,
                    "mode=755,size=" + spec.limits().diskBound() + ",nr_inodes=" + spec.limits().diskInodes()
                            + ",uid=" + uid + ",gid=" + gid);
        } else if (preparedEarlier && !Rootless.ACTIVE) {
            attachHostMount(in, spec.workspace().toAbsolutePath().toString(), r + "/workspace", false, false);
        } else {
            bind(in, spec.workspace().toAbsolutePath().toString(), r + "/workspace", false);
        }
        // after /workspace (and /tmp, made earlier): a bind under either needs its mount point there
        for (RootFs.Bind b : fs.specBinds) {
            Boolean directory = fs.mountPointsInside.get(b.target());
            if (directory != null) {
                makeMountPoint(in, r, b.target(), directory);
            }
            bind(in, b.source(), b.target(), b.readOnly());
        }
        ProcViews.write(Path.of("/proc/" + in.tid() + "/cwd"), spec, cpus, initAhead);
        if (!pivoted) {
            readOnlyRootAndPivot(in, r);
        }
    }


    /** Creates {@code target} (a directory, or an empty file) and its missing parents below the stage {@code root}. */
    private static void makeMountPoint(Injector in, String root, String target, boolean directory) {
        String[] parts = target.substring(root.length() + 1).split("/");
        StringBuilder path = new StringBuilder(root);
        for (int i = 0; i < parts.length; i++) {
            path.append('/').append(parts[i]);
            boolean last = i == parts.length - 1;
            in.reset();
            long r = last && !directory
                    ? in.call(SyscallNr.OPEN, in.str(path.toString()), OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_CLOEXEC, 0644)
                    : in.call(SyscallNr.MKDIR, in.str(path.toString()), 0755);
            if (last && !directory && r >= 0) {
                in.call(SyscallNr.CLOSE, r);
            } else if (r < 0 && r != -Errno.EEXIST.value()) {
                throw new SandboxException("setup: mount point " + path + " for a bind: " + Errno.nameOf((int) -r));
            }
        }
    }

    /**
     * Makes the host's {@code source} (its files and any filesystem mounted there, such as a
     * {@link dev.palisade.sandbox.BoundedWorkspace}) appear writable at {@code target} in a stub
     * whose mount namespace was made before: a bind would only see what was mounted then. The
     * engine clones the host's mount (open_tree), the stub takes the descriptor from the engine
     * (pidfd_getfd) and attaches it in its own namespace (move_mount). With {@code optional}, a
     * target the root does not have is no failure: nothing is attached.
     */
    private static void attachHostMount(Injector in, String source, String target, boolean readOnly, boolean optional) {
        int tree = Posix.openTreeClone(source);
        try {
            long pidfd = in.check("pidfd_open(engine)", SyscallNr.PIDFD_OPEN, Posix.getpid(), 0);
            long fd = in.check("pidfd_getfd(" + target + ")", SyscallNr.PIDFD_GETFD, pidfd, tree, 0);
            in.call(SyscallNr.CLOSE, pidfd);
            in.reset();
            long moved = in.call(SyscallNr.MOVE_MOUNT, fd, in.str(""), -100, in.str(target), 4); // MOVE_MOUNT_F_EMPTY_PATH
            in.call(SyscallNr.CLOSE, fd);
            if (moved == -Errno.ENOENT.value() && optional) {
                return;
            }
            if (moved < 0) {
                throw new SandboxException("setup: move_mount(" + target + ") failed: " + Errno.nameOf((int) -moved));
            }
            in.reset();
            in.check("remount " + target, SyscallNr.MOUNT, 0, in.str(target), 0,
                    MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | (readOnly ? MS_RDONLY : 0), 0);
        } finally {
            Posix.close(tree);
        }
    }

    /** Into the root for good: the caller's (and so every later process's) root is the sandbox's. */
    private static void pivotInto(Injector in, String root) {
        in.reset();
        in.check("chdir to the root", SyscallNr.CHDIR, in.str(root));
        in.reset();
        in.check("pivot_root", SyscallNr.PIVOT_ROOT, in.str("."), in.str("."));
        in.reset();
        in.check("detach the host root", SyscallNr.UMOUNT2, in.str("."), 2);
    }

    /**
     * Mounts the sandbox's proc over the views parked on its mount point, then binds each view over
     * its entry (LXCFS-like resource views), reached through a descriptor of the parked directory
     * taken before proc covered it. A bind keeps the flags of the mount it clones: read-only,
     * nosuid, nodev, noexec, as the parked views were made.
     */
    private void mountProc(Injector in, String proc, java.util.List<String> names) {
        in.reset();
        long views = in.check("open the /proc views", SyscallNr.OPEN, in.str(proc),
                OpenFlags.O_PATH | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC, 0);
        mount(in, "/proc", "proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
        for (String name : names) {
            mount(in, "/proc view", proc + "/self/fd/" + views + "/" + name, proc + "/" + name, null, MS_BIND, null);
        }
        in.call(SyscallNr.CLOSE, views);
    }

    EgressLink egress() {
        return egress;
    }

    /** Removes the sandbox's egress interface and rules, if it has them (idempotent). */
    void closeEgress() {
        EgressLink e = egress;
        if (e != null) {
            e.close();
        }
    }

    /**
     * In a prepared stub's init (pid 1 inside, forked by the pivoted stub before any spec is
     * known), the part of {@link #init} no spec changes: its /proc with every view bound (the
     * engine fills them at adoption; {@link #init} unbinds meminfo for a spec without a memory
     * limit), no_new_privs, and the Landlock rule of /proc.
     */
    void initAhead(Injector in) {
        in.useScratch(scratch);
        mountProc(in, "/proc", ProcViews.ALL);
        in.check("no_new_privs", SyscallNr.PRCTL, 38, 1, 0, 0, 0);
        Landlock.prepareProc(in, spec, landlockRuleset);
    }

    /**
     * In the workload's first process (pid 1 inside), before anything of the workload runs. Returns
     * the seccomp listener's descriptor number in that process when path serving is on, else -1.
     */
    long init(Injector in) {
        if (initAhead) {
            if (!ProcViews.names(spec).contains("meminfo")) {
                in.reset();
                in.check("unbind the meminfo view", SyscallNr.UMOUNT2, in.str("/proc/meminfo"), 0);
            }
        } else {
            in.useScratch(scratch);
            // /proc must be mounted from inside the pid namespace
            String proc = Rootless.ACTIVE ? fs.stage + "/proc" : "/proc";
            mountProc(in, proc, ProcViews.names(spec));
            if (Rootless.ACTIVE) {
                pivotInto(in, fs.stage);
            }
        }
        long size = spec.limits().diskBound();
        if (size != stubTmpfsSize) {
            mount(in, "resize /tmp", null, "/tmp", null, MS_REMOUNT | MS_NOSUID | MS_NODEV,
                    "size=" + size + ",nr_inodes=" + spec.limits().diskInodes());
        }
        if (spec.network() != NetworkPolicy.NONE) {
            long fd = in.check("socket", SyscallNr.SOCKET, 2, 2 | 0x80000, 0);
            byte[] ifr = new byte[40];
            ifr[0] = 'l';
            ifr[1] = 'o';
            ifr[16] = 1 | 0x40; // IFF_UP | IFF_RUNNING
            in.reset();
            in.check("bring loopback up", SyscallNr.IOCTL, fd, Ioctl.SIOCSIFFLAGS, in.bytes(ifr));
            in.call(SyscallNr.CLOSE, fd);
        }
        in.reset();
        if (in.call(SyscallNr.CHDIR, in.str(spec.workdir())) < 0) {
            in.reset();
            in.check("chdir /", SyscallNr.CHDIR, in.str("/"));
        }
        if (Rootless.ACTIVE) {
            // root of its user namespace: no capability left, and none regained by any exec (NOROOT, locked)
            in.check("securebits", SyscallNr.PRCTL, 28, 0x2f, 0, 0, 0);
            in.reset();
            byte[] header = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0x20080522).putInt(0).array();
            in.check("drop capabilities", SyscallNr.CAPSET, in.bytes(header), in.bytes(new byte[24]));
        } else {
            in.check("setgroups", SyscallNr.SETGROUPS, 0, 0);
            in.check("setresgid", SyscallNr.SETRESGID, gid, gid, gid);
            in.check("setresuid", SyscallNr.SETRESUID, uid, uid, uid);
        }
        if (!initAhead) {
            in.check("no_new_privs", SyscallNr.PRCTL, 38, 1, 0, 0, 0);
        }
        Landlock.restrict(in, spec, landlockRuleset, initAhead);
        in.reset();
        long prog = in.bytes(filter);
        byte[] fprog = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putShort(0, (short) (filter.length / 8)).putLong(8, prog).array();
        long flags = servePaths ? SeccompListener.FLAG_NEW_LISTENER | SeccompListener.FLAG_WAIT_KILLABLE_RECV : 0;
        long listener = in.check("install the seccomp filter", SyscallNr.SECCOMP, 1, flags, in.bytes(fprog));
        return servePaths ? listener : -1;
    }
}
