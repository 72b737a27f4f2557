package dev.palisade.sandbox.nativeinterop;

import dev.palisade.sandbox.abi.OpenFlags;
import dev.palisade.sandbox.abi.SyscallNr;

import dev.palisade.sandbox.abi.OpenFlags;
import dev.palisade.sandbox.abi.SyscallNr;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

import java.util.List;

/**
 * Checked facade over {@link LibC}: each method checks the return value, reads errno and throws a
 * {@link NativeCallException} naming the operation.
 */
public final class Posix {

    private static final LibC C = LibC.INSTANCE;
    /** x86-64 numbers of the few calls libc has no wrapper for. */

    private Posix() {
    }

    private static int check(String op, int rc) {
        if (rc < 0) {
            throw NativeCallException.of(op, Native.getLastError());
        }
        return rc;
    }

    /** Thread id of the calling thread (the kernel's, not Java's). */
    public static int gettid() {
        return (int) C.syscall(SyscallNr.GETTID);
    }

    public static int geteuid() {
        return (int) C.syscall(SyscallNr.GETEUID);
    }

    public static int getegid() {
        return (int) C.syscall(SyscallNr.GETEGID);
    }

    public static int getpid() {
        return C.getpid();
    }

    public static void kill(int pid, int sig) {
        check("kill(" + pid + ", " + sig + ")", C.kill(pid, sig));
    }

    /** kill(2) that ignores a process already gone. */
    public static void killQuietly(int pid, int sig) {
        if (pid > 0) {
            C.kill(pid, sig);
        }
    }

    public static void close(int fd) {
        check("close(" + fd + ")", C.close(fd));
    }

    /** A pipe with O_CLOEXEC on both ends: {read, write}. */
    public static int[] pipe() {
        int[] fds = new int[2];
        check("pipe2", C.pipe2(fds, OpenFlags.O_CLOEXEC));
        return fds;
    }

    /** Lets thread {@code tid} (0: the caller) run on exactly these CPUs. */
    public static void setAffinity(int tid, int[] cpus) {
        long[] mask = cpuMask(cpus);
        check("sched_setaffinity(" + tid + ", " + java.util.Arrays.toString(cpus) + ")", C.sched_setaffinity(tid, mask.length * 8L, mask));
    }

    /** As {@link #setAffinity}, for a thread that may be gone already: false then, no exception. */
    public static boolean trySetAffinity(int tid, int[] cpus) {
        long[] mask = cpuMask(cpus);
        return C.sched_setaffinity(tid, mask.length * 8L, mask) == 0;
    }

    private static long[] cpuMask(int[] cpus) {
        long[] mask = new long[16];
        for (int cpu : cpus) {
            mask[cpu / 64] |= 1L << (cpu % 64);
        }
        return mask;
    }

    /** The CPU the calling thread runs on now. */
    public static int currentCpu() {
        return C.sched_getcpu();
    }

    /** CPUs thread {@code tid} (0: the caller) may run on. */
    public static int[] allowedCpus(int tid) {
        long[] mask = new long[16];
        check("sched_getaffinity", C.sched_getaffinity(tid, mask.length * 8L, mask));
        return java.util.stream.IntStream.range(0, 1024).filter(i -> (mask[i / 64] & (1L << (i % 64))) != 0).toArray();
    }

    /** Sets soft and hard limit of a resource of another process. */
    public static void prlimit(int pid, int resource, long soft, long hard) {
        check("prlimit(" + pid + ", " + resource + ")", C.prlimit(pid, resource, new long[]{soft, hard}, null));
    }

    /**
     * posix_spawn from the calling thread, with the given descriptors as the child's 0, 1, 2.
     * The child is a child of the calling thread only, so no JDK thread (the process reaper)
     * knows or waits for its pid.
     */
    public static int spawn(String path, List<String> argv, List<String> envp, int stdin, int stdout, int stderr) {
        Memory actions = new Memory(256);
        actions.clear();
        Memory attr = new Memory(512);
        attr.clear();
        Memory empty = new Memory(128);
        Memory full = new Memory(128);
        C.sigemptyset(empty);
        C.sigfillset(full);
        check("posix_spawn_file_actions_init", -C.posix_spawn_file_actions_init(actions));
        check("posix_spawnattr_init", -C.posix_spawnattr_init(attr));
        try {
            // a clean start: no signal blocked or ignored (the JVM blocks and ignores some), own session
            C.posix_spawnattr_setflags(attr, (short) (LibC.POSIX_SPAWN_SETSIGDEF | LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSID));
            C.posix_spawnattr_setsigmask(attr, empty);
            C.posix_spawnattr_setsigdefault(attr, full);
            int[] fds = {stdin, stdout, stderr};
            for (int i = 0; i < 3; i++) {
                int rc = C.posix_spawn_file_actions_adddup2(actions, fds[i], i);
                if (rc != 0) {
                    throw NativeCallException.of("posix_spawn_file_actions_adddup2", rc);
                }
            }
            // nothing of the JVM's open files reaches the child
            int rc0 = C.posix_spawn_file_actions_addclosefrom_np(actions, 3);
            if (rc0 != 0) {
                throw NativeCallException.of("posix_spawn_file_actions_addclosefrom_np", rc0);
            }
            IntByReference pid = new IntByReference();
            String[] a = argv.toArray(new String[argv.size() + 1]);
            String[] e = envp.toArray(new String[envp.size() + 1]);
            int rc = C.posix_spawn(pid, path, actions, attr, a, e);
            if (rc != 0) {
                throw NativeCallException.of("posix_spawn(" + path + ")", rc);
            }
            return pid.getValue();
        } finally {
            C.posix_spawn_file_actions_destroy(actions);
            C.posix_spawnattr_destroy(attr);
        }
    }

    public static void chown(String path, int uid, int gid) {
        check("chown(" + path + ")", C.chown(path, uid, gid));
    }

    /** Creates a character device node (mode includes the permission bits). */
    public static void mknodChar(String path, int perm, int major, int minor) {
        long dev = ((long) major << 8) | (minor & 0xff) | ((long) (minor & ~0xff) << 12);
        check("mknod(" + path + ")", C.mknod(path, 0020000 | perm, dev));
    }

    /** mount(2) flags the engine uses from the host side. */
    public static final long MS_NOSUID = 2, MS_NODEV = 4;
    /** umount2(2): detach now, free when no longer busy. */
    public static final int MNT_DETACH = 2;

    public static void mount(String source, String target, String type, long flags, String data) {
        check("mount(" + type + " on " + target + ")", C.mount(source, target, type, flags, data));
    }

    public static void umount2(String target, int flags) {
        check("umount2(" + target + ")", C.umount2(target, flags));
    }

    /** What statvfs(3) says of the filesystem holding {@code path}. */
    public record FsUsage(long blockSize, long blocks, long freeBlocks, long files, long freeFiles) {
        /** No block or no inode left: the next write or file creation fails with ENOSPC. */
        public boolean full() {
            return (blocks > 0 && freeBlocks == 0) || (files > 0 && freeFiles == 0);
        }
    }

    /**
     * open_tree(2) with {@code OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC}: a detached copy of the mount
     * at {@code path}, as a file descriptor another mount namespace can attach with move_mount(2).
     */
    public static int openTreeClone(String path) {
        long fd = C.syscall(428, -100, path, 1 | 0x80000); // AT_FDCWD, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
        return check("open_tree(" + path + ")", (int) fd);
    }

    public static FsUsage statvfs(String path) {
        // struct statvfs on x86-64: f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, ... (8 bytes each)
        Memory buf = new Memory(112);
        check("statvfs(" + path + ")", C.statvfs(path, buf));
        return new FsUsage(buf.getLong(8), buf.getLong(16), buf.getLong(24), buf.getLong(40), buf.getLong(48));
    }

    public static String strerror(int errno) {
        return C.strerror(errno);
    }
}
