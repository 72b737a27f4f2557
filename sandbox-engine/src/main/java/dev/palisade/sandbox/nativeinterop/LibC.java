package dev.palisade.sandbox.nativeinterop;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * JNA binding of the libc calls the engine uses (unistd.h, signal.h, spawn.h, sched.h,
 * sys/resource.h, sys/uio.h, fcntl.h). Raw: return values and errno are the caller's to check;
 * {@link Posix} is the checked facade. The hot ptrace loop uses {@link PtraceDirect} instead
 * (direct mapping, an order of magnitude cheaper per call).
 *
 * <p>Only this package touches JNA.
 */
public interface LibC extends Library {

    LibC INSTANCE = Native.load("c", LibC.class);

    // --- fcntl.h ---

    // --- sys/resource.h ---
    int RLIMIT_CPU = 0, RLIMIT_FSIZE = 1, RLIMIT_DATA = 2, RLIMIT_STACK = 3, RLIMIT_CORE = 4,
            RLIMIT_NPROC = 6, RLIMIT_NOFILE = 7, RLIMIT_MEMLOCK = 8, RLIMIT_AS = 9;

    /** Generic system call: {@code long syscall(long number, ...)}. */
    long syscall(long number, Object... args);

    int getpid();

    int kill(int pid, int sig);

    int close(int fd);

    int pipe2(int[] fds, int flags);

    long read(int fd, Pointer buf, long count);

    long write(int fd, Pointer buf, long count);

    int dup(int fd);

    /** {@code int posix_spawn(pid_t *pid, const char *path, file_actions, attrp, argv, envp)}. */
    int posix_spawn(IntByReference pid, String path, Pointer fileActions, Pointer attr, String[] argv, String[] envp);

    int posix_spawn_file_actions_init(Pointer fileActions);

    int posix_spawn_file_actions_destroy(Pointer fileActions);

    int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newfd);

    int posix_spawn_file_actions_addclose(Pointer fileActions, int fd);

    int posix_spawn_file_actions_addchdir_np(Pointer fileActions, String path);

    /** glibc 2.34+: close every descriptor from {@code lowfd} up in the child. */
    int posix_spawn_file_actions_addclosefrom_np(Pointer fileActions, int lowfd);

    short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;

    int posix_spawnattr_init(Pointer attr);

    int posix_spawnattr_destroy(Pointer attr);

    int posix_spawnattr_setflags(Pointer attr, short flags);

    int posix_spawnattr_setsigmask(Pointer attr, Pointer sigset);

    int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigset);

    int sigemptyset(Pointer set);

    int sigfillset(Pointer set);

    int chown(String path, int uid, int gid);

    /** {@code int mknod(const char *path, mode_t mode, dev_t dev)} (glibc 2.33+ exports it). */
    int mknod(String path, int mode, long dev);

    /** {@code int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask)}. */
    int sched_setaffinity(int pid, long cpusetsize, long[] mask);

    int sched_getaffinity(int pid, long cpusetsize, long[] mask);

    /** {@code int sched_getcpu(void)}: the CPU the caller runs on. */
    int sched_getcpu();

    /** {@code int prlimit(pid_t pid, int resource, const struct rlimit *new, struct rlimit *old)}. */
    int prlimit(int pid, int resource, long[] newLimit, long[] oldLimit);

    /** {@code ssize_t process_vm_writev(pid, local_iov, liovcnt, remote_iov, riovcnt, flags)}. */
    long process_vm_writev(int pid, Pointer localIov, long liovcnt, Pointer remoteIov, long riovcnt, long flags);

    long process_vm_readv(int pid, Pointer localIov, long liovcnt, Pointer remoteIov, long riovcnt, long flags);

    /** {@code int mount(const char *source, const char *target, const char *type, unsigned long flags, const void *data)}. */
    int mount(String source, String target, String type, long flags, String data);

    /** {@code int umount2(const char *target, int flags)}. */
    int umount2(String target, int flags);

    /** {@code int statvfs(const char *path, struct statvfs *buf)}; see {@link Posix#statvfs}. */
    int statvfs(String path, Pointer buf);

    String strerror(int errnum);
}
