package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.sentry.ArgumentCheck;
import dev.palisade.sandbox.sentry.ArgumentChecks;
import dev.palisade.sandbox.sentry.Syscall;
import dev.palisade.sandbox.sentry.SyscallTable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How much of the host kernel a program on the ptrace platform reaches: runs the compiled seccomp
 * filter ({@link FilterInterpreter}) on every x86-64 call number and sorts each call, per area,
 * into <b>free</b> (the filter allows it whatever its arguments), <b>checked</b> (allowed only
 * for some values of an argument register, or stopped and checked by the Sentry on registers
 * before the kernel runs it) and <b>never</b> (answered or refused by the Sentry; the host
 * kernel never runs it for the program).
 *
 * <pre>java -cp sandbox-engine/target/classes dev.palisade.sandbox.platform.ptrace.HostSurface [--calls]</pre>
 *
 * The table it prints is in the engine's README ({@code HostSurfaceTest} keeps it true).
 */
public final class HostSurface {

    /** The kind of reach of one call. */
    enum Reach { FREE, CHECKED, NEVER }

    /** Areas by call name; a call in none of them is in {@link #OTHER}. Paths first: a path string the host resolves. */
    static final Map<String, Set<String>> AREAS = new LinkedHashMap<>();
    static final String OTHER = "descriptors, I/O, time and the rest";

    static {
        AREAS.put("paths (a path string the host resolves)", Set.of("open", "stat", "lstat", "access", "execve", "truncate",
                "chdir", "rename", "mkdir", "rmdir", "creat", "link", "unlink", "symlink", "readlink", "chmod", "chown",
                "lchown", "utime", "mknod", "uselib", "statfs", "pivot_root", "chroot", "acct", "mount", "umount2",
                "swapon", "swapoff", "setxattr", "lsetxattr", "getxattr", "lgetxattr", "listxattr", "llistxattr",
                "removexattr", "lremovexattr", "utimes", "inotify_add_watch", "openat", "mkdirat", "mknodat", "fchownat",
                "futimesat", "newfstatat", "unlinkat", "renameat", "linkat", "symlinkat", "readlinkat", "fchmodat",
                "faccessat", "utimensat", "fanotify_mark", "name_to_handle_at", "execveat", "renameat2", "statx",
                "open_tree", "move_mount", "fspick", "openat2", "faccessat2", "mount_setattr", "fchmodat2",
                "setxattrat", "getxattrat", "listxattrat", "removexattrat", "quotactl", "open_tree_attr"));
        AREAS.put("network", Set.of("socket", "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown",
                "bind", "listen", "getsockname", "getpeername", "socketpair", "setsockopt", "getsockopt", "accept4",
                "recvmmsg", "sendmmsg"));
        AREAS.put("device and process controls (ioctl, personality, prctl…)", Set.of("ioctl", "personality", "prctl",
                "arch_prctl", "iopl", "ioperm", "modify_ldt", "seccomp", "vhangup", "syslog", "ustat", "sysfs", "bpf",
                "perf_event_open", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules", "landlock_create_ruleset",
                "landlock_add_rule", "landlock_restrict_self", "keyctl", "add_key", "request_key"));
        AREAS.put("memory and NUMA", Set.of("mmap", "mprotect", "munmap", "brk", "mremap", "msync", "mincore", "madvise",
                "mlock", "munlock", "mlockall", "munlockall", "mlock2", "remap_file_pages", "mbind", "set_mempolicy",
                "get_mempolicy", "migrate_pages", "move_pages", "set_mempolicy_home_node", "pkey_mprotect", "pkey_alloc",
                "pkey_free", "membarrier", "process_madvise", "process_mrelease", "mseal", "map_shadow_stack",
                "userfaultfd", "memfd_create", "memfd_secret", "cachestat"));
        AREAS.put("processes, threads and signals", Set.of("clone", "clone3", "fork", "vfork", "exit", "exit_group",
                "wait4", "waitid", "kill", "tkill", "tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
                "rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "rt_sigsuspend", "sigaltstack",
                "pause", "set_tid_address", "futex", "futex_waitv", "futex_wake", "futex_wait", "futex_requeue",
                "set_robust_list", "get_robust_list", "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_open",
                "pidfd_getfd", "pidfd_send_signal", "unshare", "setns", "kcmp", "sched_setaffinity", "sched_getaffinity",
                "sched_yield", "sched_setparam", "sched_getparam", "sched_setscheduler", "sched_getscheduler",
                "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval", "sched_setattr",
                "sched_getattr", "setpriority", "getpriority", "rseq", "uretprobe", "uprobe"));
        AREAS.put("SysV IPC and message queues", Set.of("shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl",
                "semtimedop", "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
                "mq_timedreceive", "mq_notify", "mq_getsetattr"));
        AREAS.put("legacy AIO and io_uring", Set.of("io_setup", "io_destroy", "io_getevents", "io_submit", "io_cancel",
                "io_pgetevents", "io_uring_setup", "io_uring_enter", "io_uring_register"));
        AREAS.put("identity and system information", Set.of("getpid", "getppid", "gettid", "getuid", "geteuid", "getgid",
                "getegid", "getresuid", "getresgid", "getgroups", "setuid", "setgid", "setreuid", "setregid", "setresuid",
                "setresgid", "setgroups", "setfsuid", "setfsgid", "capget", "capset", "getpgid", "setpgid", "getpgrp",
                "getsid", "setsid", "uname", "sysinfo", "sethostname", "setdomainname", "getrlimit", "setrlimit",
                "prlimit64", "getrusage", "times", "getcpu", "reboot", "kexec_load", "kexec_file_load", "init_module",
                "finit_module", "delete_module", "settimeofday", "adjtimex", "clock_adjtime", "clock_settime",
                "nfsservctl", "_sysctl", "syncfs", "sync"));
    }

    /**
     * Served calls that the kernel then runs for most arguments: connect, bind, sendmsg and
     * sendmmsg on any socket that is not AF_UNIX (the Sentry checks the socket's family; only a
     * Unix socket names a path), and a sendmsg without a name.
     */
    static final Set<String> SERVED_THEN_RUN = Set.of("connect", "bind", "sendmsg", "sendmmsg");

    private HostSurface() {
    }

    static String areaOf(String name) {
        for (var e : AREAS.entrySet()) {
            if (e.getValue().contains(name)) {
                return e.getKey();
            }
        }
        return OTHER;
    }

    /** How call {@code s} reaches the host kernel, from the filter's answers. */
    static Reach reach(FilterInterpreter filter, Syscall s) {
        FilterInterpreter.Verdict plain = filter.run(SeccompFilter.AUDIT_ARCH_X86_64, s.number(), 0, 0, 0, 0, 0, 0);
        if (plain.allowed() && !plain.readArguments()) {
            return Reach.FREE;
        }
        if (plain.readArguments()) {
            for (long v : probes(s.number())) {
                for (int arg = 0; arg < 6; arg++) {
                    long[] args = new long[6];
                    args[arg] = v;
                    if (filter.run(SeccompFilter.AUDIT_ARCH_X86_64, s.number(), args).allowed()) {
                        return Reach.CHECKED;
                    }
                }
            }
            return Reach.NEVER;
        }
        // stopped at every call: the Sentry either answers it or checks its registers and lets the kernel run it
        boolean runByTheKernelAfterACheck = s.action() == Syscall.Action.EMULATE && s.kvm() == Syscall.KvmSupport.NONE;
        return runByTheKernelAfterACheck || SERVED_THEN_RUN.contains(s.name()) ? Reach.CHECKED : Reach.NEVER;
    }

    private static List<Long> probes(int nr) {
        List<Long> out = new ArrayList<>();
        ArgumentChecks.of(nr).ifPresent(a -> {
            for (long v : a.values()) {
                out.add(v);
            }
        });
        for (long v = 0; v < 4096; v++) {
            out.add(v);
        }
        out.add(0xffffffffL);
        return out;
    }

    /** Per area: the calls of each reach. */
    static Map<String, Map<Reach, Set<String>>> survey() {
        // as a sandbox runs by default, rootless too: path calls served
        FilterInterpreter filter = new FilterInterpreter(SeccompFilter.compile(false, true));
        Map<String, Map<Reach, Set<String>>> out = new LinkedHashMap<>();
        for (String area : AREAS.keySet()) {
            out.put(area, emptyRow());
        }
        out.put(OTHER, emptyRow());
        for (Syscall s : SyscallTable.ALL) {
            out.get(areaOf(s.name())).get(reach(filter, s)).add(s.name());
        }
        return out;
    }

    private static Map<Reach, Set<String>> emptyRow() {
        Map<Reach, Set<String>> row = new LinkedHashMap<>();
        for (Reach r : Reach.values()) {
            row.put(r, new TreeSet<>());
        }
        return row;
    }

    /** The README's table: per area, how many calls of each reach; the checked ones named with their check. */
    public static String render() {
        var survey = survey();
        StringBuilder b = new StringBuilder();
        b.append("| area | free arguments | checked arguments | never (the Sentry answers or refuses) |\n|---|---:|---|---:|\n");
        int free = 0, checked = 0, never = 0;
        for (var e : survey.entrySet()) {
            var row = e.getValue();
            free += row.get(Reach.FREE).size();
            checked += row.get(Reach.CHECKED).size();
            never += row.get(Reach.NEVER).size();
            b.append("| ").append(e.getKey()).append(" | ").append(row.get(Reach.FREE).size()).append(" | ")
                    .append(row.get(Reach.CHECKED).size()).append(row.get(Reach.CHECKED).isEmpty() ? "" : ": ")
                    .append(String.join(", ", row.get(Reach.CHECKED).stream().map(n -> "`" + n + "`").toList()))
                    .append(" | ").append(row.get(Reach.NEVER).size()).append(" |\n");
        }
        b.append("| **all ").append(free + checked + never).append(" calls** | **").append(free).append("** | **")
                .append(checked).append("** | **").append(never).append("** |\n");
        b.append("\nChecked arguments (`ArgumentChecks`, in the filter): ");
        b.append(String.join("; ", ArgumentChecks.ALL.stream().map(HostSurface::describe).toList()));
        b.append(". `clone`, `fork`, `vfork`: stopped, flags and the process limit checked by the Sentry on registers.");
        b.append(" Path calls (`served` in `docs/syscalls.md`) go to the Sentry by seccomp user notification and count as never,");
        b.append(" except where the filter lets a form without a path through (`AT_EMPTY_PATH`, a null path, `sendto` with no address): those count as checked.");
        b.append(" The process-control calls (scheduling, nice, I/O priority, rlimits, `getpgid`, `getsid`, `pidfd_open`) are served too:"
                + " the Sentry makes them itself on the host tid of a task of the sandbox (`SysProcessControl`): never.");
        b.append(" `connect` and `bind` go to the Sentry too, which makes them itself on an AF_UNIX socket and lets the kernel run them on any other: checked;"
                + " so do `sendmsg` (sent by the Sentry when it names an AF_UNIX datagram socket's peer) and `sendmmsg` (every message on an AF_UNIX datagram socket).");
        b.append(" `execve` and `execveat` stop at the tracer, which has the Sentry resolve and install the file and the kernel run that descriptor (`ExecServing`): never.\n");
        return b.toString();
    }

    private static String describe(ArgumentCheck a) {
        return "`" + SyscallTable.nameOf(a.number()) + "` " + a.what() + ": " + a.allowed().size() + (a.allowed().size() == 1 ? " value" : " values") + ", others "
                + a.errno().name();
    }

    /** The free calls per area, for a reader who wants the names. */
    static String freeCalls() {
        StringBuilder b = new StringBuilder();
        for (var e : survey().entrySet()) {
            b.append(e.getKey()).append(" — free: ").append(String.join(" ", e.getValue().get(Reach.FREE))).append('\n');
        }
        return b.toString();
    }

    public static void main(String[] args) {
        System.out.print(render());
        if (args.length > 0 && args[0].equals("--calls")) {
            System.out.println();
            System.out.print(freeCalls());
        }
    }
}
