package dev.palisade.sandbox.abi;

/**
 * x86-64 system call numbers ({@code asm/unistd_64.h}) that code names directly. The Sentry's
 * table ({@code SyscallTable}) lists every call by number; these constants are for the places
 * that make or single out a particular call (the tracer's set-up, the KVM fast paths).
 * Checked against the kernel headers by {@code AbiConstantsTest}.
 */
public final class SyscallNr {
    public static final int READ = 0, WRITE = 1, CLOSE = 3, FSTAT = 5, MMAP = 9, MPROTECT = 10, MUNMAP = 11,
            BRK = 12, RT_SIGACTION = 13, RT_SIGPROCMASK = 14, IOCTL = 16, WRITEV = 20, MREMAP = 25, MADVISE = 28,
            GETPID = 39, SOCKET = 41, CONNECT = 42, CLONE = 56, FORK = 57, VFORK = 58, EXECVE = 59, EXECVEAT = 322, CHDIR = 80,
            GETTIMEOFDAY = 96, GETUID = 102, GETGID = 104, GETEUID = 107, GETEGID = 108, SETGROUPS = 116,
            SETRESUID = 117, SETRESGID = 119, CAPSET = 126, PIVOT_ROOT = 155, PRCTL = 157, MOUNT = 165,
            UMOUNT2 = 166, SETHOSTNAME = 170, GETTID = 186, TIME = 201, CLOCK_GETTIME = 228, TGKILL = 234,
            INOTIFY_ADD_WATCH = 254, UNSHARE = 272, SECCOMP = 317, GETRANDOM = 318, MOVE_MOUNT = 429, PIDFD_OPEN = 434, PIDFD_GETFD = 438;
    /** Made by the engine's setup: mount points inside the sandbox's own tmpfs, the Landlock ruleset. */
    public static final int OPEN = 2, MKDIR = 83, LANDLOCK_CREATE_RULESET = 444, LANDLOCK_ADD_RULE = 445,
            LANDLOCK_RESTRICT_SELF = 446;

    private SyscallNr() {
    }
}
