package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static dev.palisade.sandbox.sentry.Syscall.check;
import static dev.palisade.sandbox.sentry.Syscall.deny;
import static dev.palisade.sandbox.sentry.Syscall.emulate;
import static dev.palisade.sandbox.sentry.Syscall.pass;

/**
 * The Sentry's x86-64 system call table: every call the kernel knows, once, as data: what
 * ptrace does with it, how much of it KVM implements, and its handler (the one implementation,
 * in the {@code Sys*} class of its area), which {@link Sentry#call} runs on either platform.
 *
 * <p>Numbers come from {@code asm/unistd_64.h} (0..450 on the build host) plus uretprobe and
 * uprobe (335, 336) and the calls added since (451..462). A number this table does not list is
 * refused with {@code ENOSYS} and recorded ({@link #DEFAULT_DENY}): the kernel keeps adding calls,
 * and we only let through what we have looked at. The coverage page {@code docs/syscalls.md} is
 * generated from this table ({@link CoveragePage}).
 */
public final class SyscallTable {

    /** Errno for numbers the table does not know. */
    public static final Errno DEFAULT_DENY = Errno.ENOSYS;

    /** Notes that several calls share. */
    private static final String ONE_IDENTITY = "the sandbox has one identity and no capability: its own id succeeds, any other EPERM";
    private static final String LEGACY_AIO = "legacy AIO: host kernel code no program needs (glibc's aio uses threads); as a kernel built without it";
    private static final String TLS_32 = "segment-based TLS of 32-bit code; 64-bit programs set theirs with arch_prctl";
    private static final String EPOLL_OLD = "never implemented on x86-64: the kernel answers ENOSYS too";
    private static final String NEW_DESCRIPTOR = "flags checked; made by the Sentry and installed with ADDFD";
    private static final String SYSV_IPC = "SysV IPC: objects in the host kernel's IPC namespace; as a kernel built without CONFIG_SYSVIPC (glibc's sem_open and shm_open use /dev/shm and futexes)";
    private static final String POSIX_MQ = "POSIX message queues: as a kernel built without CONFIG_POSIX_MQUEUE";
    private static final String PKEYS = "memory protection keys: as a kernel built without CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS";
    private static final String FUTEX2 = "the futex2 calls: as a kernel before 6.7 (glibc uses futex)";
    private static final String LANDLOCK = "the sandbox's own Landlock layer is applied before the filter; for the program, as a kernel built without CONFIG_SECURITY_LANDLOCK";
    private static final String MLOCK = "answered by the Sentry: RLIMIT_MEMLOCK is 0 and there is no CAP_IPC_LOCK, so locking is EPERM after Linux's flag checks";
    private static final String MOUNT_DETAILS = "mount details beyond the Sentry's /proc/self/mountinfo; as a kernel before 6.8 (libmount then reads mountinfo)";

    /** The whole table, ordered by number. */
    public static final List<Syscall> ALL = List.of(
            pass(0, "read").kvm(SysReadWrite::read),
            pass(1, "write").kvm(SysReadWrite::write),
            pass(2, "open", "opened by the Sentry with openat2 and no magic links, installed with ADDFD; O_PATH: checked, then run by the kernel").kvm(SysFile::open, "host device nodes, FIFOs and sockets give EACCES; no O_TMPFILE").served(SysPath::open),
            pass(3, "close").kvm(SysFile::close),
            pass(4, "stat").kvm(SysStat::stat, "host owners; st_blocks counted in 4 KiB blocks").served(SysPath::stat),
            pass(5, "fstat").kvm(SysStat::fstat, "host owners; st_blocks counted in 4 KiB blocks"),
            pass(6, "lstat").kvm(SysStat::lstat, "host owners; st_blocks counted in 4 KiB blocks").served(SysPath::lstat),
            pass(7, "poll").kvm(SysPoll::poll, "no exceptional conditions (POLLPRI)"),
            pass(8, "lseek").kvm(SysFile::lseek, "no SEEK_DATA or SEEK_HOLE"),
            pass(9, "mmap").kvm(SysMmap::mmap, "MAP_SHARED of a read-only descriptor is a private copy; no SIGBUS past the end of a file"),
            pass(10, "mprotect").kvm(SysMmap::mprotect),
            pass(11, "munmap").kvm(SysMmap::munmap),
            pass(12, "brk").kvm(SysMmap::brk),
            pass(13, "rt_sigaction").kvm(SysSignal::rtSigaction, "no alternate stacks (SA_ONSTACK runs on the current stack); no SA_RESTART: nothing is interrupted"),
            pass(14, "rt_sigprocmask").kvm(SysSignal::rtSigprocmask),
            pass(15, "rt_sigreturn").kvm(SysSignal::rtSigreturn),
            check(16, "ioctl", "requests on a list: terminal attributes and size, descriptor flags, FIONREAD, socket and file queries; others (TIOCSTI…) ENOTTY").kvm(SysFile::ioctl, "FIONBIO; FIONREAD on Unix sockets and pipes; no terminals or devices: other requests give ENOTTY"),
            pass(17, "pread64").kvm(SysReadWrite::pread64),
            pass(18, "pwrite64").kvm(SysReadWrite::pwrite64),
            pass(19, "readv").kvm(SysReadWrite::readv),
            pass(20, "writev").kvm(SysReadWrite::writev),
            pass(21, "access").kvm(SysFile::access, "permissions from the host file and the mount").served(SysPath::access),
            pass(22, "pipe", "made by the Sentry, both ends installed with ADDFD once the array is known writable").kvm(SysFile::pipe).served(SysNewDescriptor::pipe),
            pass(23, "select").kvm(SysPoll::select, "no exceptional conditions"),
            pass(24, "sched_yield").kvm(SysThread::schedYield),
            pass(25, "mremap").kvm(SysMmap::mremap, "no MREMAP_FIXED or MREMAP_DONTUNMAP (EINVAL); shared mappings do not grow (ENOMEM)"),
            pass(26, "msync").kvm(SysMmap::msync),
            pass(27, "mincore"),
            pass(28, "madvise").kvm(SysMmap::madvise, "advice is accepted and has no effect"),
            deny(29, "shmget", Errno.ENOSYS, SYSV_IPC),
            deny(30, "shmat", Errno.ENOSYS, SYSV_IPC),
            deny(31, "shmctl", Errno.ENOSYS, SYSV_IPC),
            pass(32, "dup").kvm(SysFile::dup),
            pass(33, "dup2").kvm(SysFile::dup2),
            pass(34, "pause").kvm(SysTime::pause),
            pass(35, "nanosleep").kvm(SysTime::nanosleep, "a signal the thread does not block ends it with EINTR and the time left"),
            pass(36, "getitimer").kvm(SysTime::getitimer, "ITIMER_REAL; ITIMER_VIRTUAL and ITIMER_PROF are refused (EINVAL)"),
            pass(37, "alarm").kvm(SysTime::alarm, "stops at execve"),
            pass(38, "setitimer").kvm(SysTime::setitimer, "ITIMER_REAL (intervals of at least 1 ms), which stops at execve; ITIMER_VIRTUAL and ITIMER_PROF are refused (EINVAL)"),
            emulate(39, "getpid", "the caller's pid in the sandbox's own pid space", SysIdentity::getpid),
            pass(40, "sendfile"),
            check(41, "socket", "families AF_UNIX, AF_INET, AF_INET6 (others EAFNOSUPPORT); the network namespace has no interface but an optional loopback").kvm(SysSocket::socket, "AF_UNIX kept in the Sentry; AF_INET and AF_INET6 SOCK_STREAM only, on the sandbox's own loopback"),
            pass(42, "connect", "only loopback exists in the network namespace; on an AF_UNIX socket made by the Sentry with its copy of the address").kvm(SysSocket::connect, "AF_UNIX to the sandbox's own names only; TCP outbound connections are refused (ECONNREFUSED on loopback, else ENETUNREACH) and recorded").served(SysUnixSocket::connect),
            pass(43, "accept").kvm(SysSocket::accept),
            pass(44, "sendto", "with an address, to an AF_UNIX datagram socket: sent by the Sentry with its copy of the address").kvm(SysSocket::sendto, "TCP: connected streams only").served(SysUnixSocket::sendto),
            pass(45, "recvfrom").kvm(SysSocket::recvfrom, "TCP: MSG_PEEK looks at 64 KiB at most"),
            pass(46, "sendmsg", "with a name, on an AF_UNIX datagram socket: sent by the Sentry with its copy of the message, descriptors and credentials checked").kvm(SysSocket::sendmsg, "AF_UNIX: SCM_RIGHTS; TCP: iovecs only").served(SysUnixSocket::sendmsg),
            pass(47, "recvmsg").kvm(SysSocket::recvmsg, "AF_UNIX: SCM_RIGHTS; TCP: iovecs only"),
            pass(48, "shutdown", "the Sentry makes it on its duplicate of the program's descriptor").kvm(SysSocket::shutdown).served(SysHeldDescriptor::shutdown),
            pass(49, "bind", "on an AF_UNIX socket made by the Sentry with its copy of the address").kvm(SysSocket::bind, "AF_UNIX path and abstract names; TCP: the any and loopback addresses only").served(SysUnixSocket::bind),
            pass(50, "listen", "the Sentry makes it on its duplicate of the program's descriptor").kvm(SysSocket::listen).served(SysHeldDescriptor::listen),
            pass(51, "getsockname", "the Sentry makes it on its duplicate of the program's descriptor; the name copied back as the kernel would").kvm(SysSocket::getsockname).served(SysHeldDescriptor::getsockname),
            pass(52, "getpeername", "the Sentry makes it on its duplicate of the program's descriptor; the name copied back as the kernel would").kvm(SysSocket::getpeername).served(SysHeldDescriptor::getpeername),
            check(53, "socketpair", "AF_UNIX only (others EAFNOSUPPORT)").kvm(SysUnixSentry::socketpair),
            pass(54, "setsockopt", "the Sentry makes it on its duplicate of the program's descriptor, for a list of options programs set (others ENOPROTOOPT); the value read once").kvm(SysSocket::setsockopt, "SO_RCVTIMEO/SO_SNDTIMEO applied; other options remembered, not applied").served(SysHeldDescriptor::setsockopt),
            pass(55, "getsockopt", "the Sentry makes it on its duplicate of the program's descriptor, for a list of options programs read (others ENOPROTOOPT); SO_PEERCRED's pid in the sandbox's pid space").kvm(SysSocket::getsockopt).served(SysHeldDescriptor::getsockopt),
            emulate(56, "clone", "checked on registers (namespace flags and CLONE_UNTRACED refused, process limit), then run by the kernel", SysProcess::clone).kvmPartial("a new process, its memory copied, or with CLONE_THREAD a thread (a vCPU of the same VM); no shared memory between processes (ENOSYS), CLONE_VFORK does not suspend the parent"),
            emulate(57, "fork", "process limit checked, then run by the kernel", SysProcess::fork),
            emulate(58, "vfork", "process limit checked, then run by the kernel", SysProcess::fork).kvmPartial("a fork: the child's memory is a copy, the parent is not suspended"),
            pass(59, "execve", "served: the Sentry resolves the path (and a #! script's interpreter) in the sandbox at the program's identity and installs the file; the kernel runs that descriptor (execveat AT_EMPTY_PATH) and the loaded image is checked").kvm(SysProcess::execve, "ELF executables only (no #! scripts: ENOEXEC); the memory limit applies per process"),
            pass(60, "exit").kvm(SysThread::exit),
            pass(61, "wait4").kvm(SysProcess::wait4, "no stopped or continued children; rusage is zero"),
            pass(62, "kill", "confined by the pid namespace").kvm(SysSignal::kill, "the stop signals' default action ends the process: nothing is ever stopped"),
            emulate(63, "uname", "answered by the Sentry: Linux, the host release, nodename \"sandbox\"", SysInfo::uname),
            deny(64, "semget", Errno.ENOSYS, SYSV_IPC),
            deny(65, "semop", Errno.ENOSYS, SYSV_IPC),
            deny(66, "semctl", Errno.ENOSYS, SYSV_IPC),
            deny(67, "shmdt", Errno.ENOSYS, SYSV_IPC),
            deny(68, "msgget", Errno.ENOSYS, SYSV_IPC),
            deny(69, "msgsnd", Errno.ENOSYS, SYSV_IPC),
            deny(70, "msgrcv", Errno.ENOSYS, SYSV_IPC),
            deny(71, "msgctl", Errno.ENOSYS, SYSV_IPC),
            pass(72, "fcntl").kvm(SysFile::fcntl, "record locks always succeed (one process)"),
            pass(73, "flock", "the Sentry makes it on its duplicate of the program's descriptor; a lock that waits is taken on another thread, and a signal to the caller interrupts it").kvm(SysFile::flock, "between the sandbox's processes; a host process's locks are not seen").served(SysHeldDescriptor::flock),
            pass(74, "fsync", "the Sentry makes it on its duplicate of the program's descriptor, on another thread").kvm(SysFile::fsync).served(SysHeldDescriptor::fsync),
            pass(75, "fdatasync", "the Sentry makes it on its duplicate of the program's descriptor, on another thread").kvm(SysFile::fsync).served(SysHeldDescriptor::fdatasync),
            pass(76, "truncate").kvm(SysFile::truncate).served(SysPath::truncate),
            pass(77, "ftruncate", "the Sentry makes it on its duplicate of the program's descriptor, within the program's file-size limit").kvm(SysFile::ftruncate).served(SysHeldDescriptor::ftruncate),
            pass(78, "getdents", "served by the Sentry on its duplicate of the descriptor: read with getdents64, rewritten into the legacy records").served(SysGetdents::getdents),
            pass(79, "getcwd", "run by the kernel: it names only the caller's own directory, and serving it put a round trip into every python3 start").kvm(SysFile::getcwd),
            pass(80, "chdir", "checked by the Sentry, then run by the kernel: no call sets another process's directory").kvm(SysFile::chdir).served(SysPath::chdir),
            pass(81, "fchdir").kvm(SysFile::fchdir),
            pass(82, "rename").kvm(SysFile::rename).served(SysPath::rename),
            pass(83, "mkdir").kvm(SysFile::mkdir, "the mode is not applied").served(SysPath::mkdir),
            pass(84, "rmdir").kvm(SysFile::rmdir).served(SysPath::rmdir),
            pass(85, "creat").kvm(SysFile::creat, "host device nodes, FIFOs and sockets give EACCES").served(SysPath::creat),
            pass(86, "link").kvm(SysFile::link).served(SysPath::link),
            pass(87, "unlink").kvm(SysFile::unlink).served(SysPath::unlink),
            pass(88, "symlink").kvm(SysFile::symlink).served(SysPath::symlink),
            pass(89, "readlink").kvm(SysFile::readlink).served(SysPath::readlink),
            pass(90, "chmod").kvm(SysFileMode::chmod, "the rwx bits only; setuid, setgid and sticky are dropped").served(SysPath::chmod),
            pass(91, "fchmod", "the Sentry makes it on its duplicate of the program's descriptor").served(SysHeldDescriptor::fchmod),
            pass(92, "chown").served(SysPath::chown),
            pass(93, "fchown", "the Sentry makes it on its duplicate of the program's descriptor").served(SysHeldDescriptor::fchown),
            pass(94, "lchown").served(SysPath::lchown),
            pass(95, "umask").kvm(SysFile::umask, "new files and directories take the mode asked less the umask"),
            pass(96, "gettimeofday", "answered by the Sentry: its clock, the host's timezone").kvm(SysTime::gettimeofday).served(SysTime::gettimeofdayServed),
            pass(97, "getrlimit", "prlimit64 of the caller, made by the Sentry").kvm(SysInfo::getrlimit).served(SysProcessControl::getrlimit),
            pass(98, "getrusage").kvm(SysInfo::getrusage, "CPU time and peak memory only"),
            emulate(99, "sysinfo", "memory from the sandbox limit, uptime since the sandbox started, its own process count", SysInfo::sysinfo),
            pass(100, "times"),
            deny(101, "ptrace", Errno.EPERM, "no tracing: the Sentry is the only tracer"),
            emulate(102, "getuid", "the sandbox uid", SysIdentity::getuid),
            deny(103, "syslog", Errno.EPERM, "host kernel log"),
            emulate(104, "getgid", "the sandbox gid", SysIdentity::getgid),
            emulate(105, "setuid", ONE_IDENTITY, SysIdentity::setuid),
            emulate(106, "setgid", ONE_IDENTITY, SysIdentity::setgid),
            emulate(107, "geteuid", "the sandbox uid", SysIdentity::getuid),
            emulate(108, "getegid", "the sandbox gid", SysIdentity::getgid),
            pass(109, "setpgid").kvm(SysIdentity::setpgid),
            emulate(110, "getppid", "parent in the sandbox's pid space; 0 for the sandbox's first process", SysIdentity::getppid),
            pass(111, "getpgrp", "the host's answer in the sandbox's pid space").kvm(SysIdentity::getpgrp).served(SysProcessControl::getpgrp),
            pass(112, "setsid").kvm(SysIdentity::setsid),
            emulate(113, "setreuid", ONE_IDENTITY, SysIdentity::setreuid),
            emulate(114, "setregid", ONE_IDENTITY, SysIdentity::setregid),
            emulate(115, "getgroups", "no supplementary groups", SysIdentity::getgroups),
            emulate(116, "setgroups", "EPERM: no CAP_SETGID", SysIdentity::setgroups),
            emulate(117, "setresuid", ONE_IDENTITY, SysIdentity::setresuid),
            emulate(118, "getresuid", "the sandbox uid, written to the three pointers", SysIdentity::getresuid),
            emulate(119, "setresgid", ONE_IDENTITY, SysIdentity::setresgid),
            emulate(120, "getresgid", "the sandbox gid, written to the three pointers", SysIdentity::getresgid),
            pass(121, "getpgid", "of a task of the sandbox, in its pid space").kvm(SysIdentity::getpgid).served(SysProcessControl::getpgid),
            emulate(122, "setfsuid", "the previous fsuid, the sandbox uid; it never changes", SysIdentity::setfsuid),
            emulate(123, "setfsgid", "the previous fsgid, the sandbox gid; it never changes", SysIdentity::setfsgid),
            pass(124, "getsid", "of a task of the sandbox, in its pid space").kvm(SysIdentity::getsid).served(SysProcessControl::getsid),
            emulate(125, "capget", "no capability: zero sets (for a pid outside the sandbox too, where Linux says ESRCH)", SysIdentity::capget),
            emulate(126, "capset", "only to no capability, of the caller itself; anything else EPERM", SysIdentity::capset),
            pass(127, "rt_sigpending").kvm(SysSignal::rtSigpending),
            pass(128, "rt_sigtimedwait").kvm(SysSignal::rtSigtimedwait, "a signal whose default is to ignore it, sent by another process while blocked, is discarded (SIGCHLD from a child is kept)"),
            pass(129, "rt_sigqueueinfo", "the kernel's, in the pid namespace: sent by the Sentry, the receiver would see si_pid 0 (a sender in an ancestor namespace)"),
            pass(130, "rt_sigsuspend").kvm(SysSignal::rtSigsuspend),
            pass(131, "sigaltstack").kvm(SysSignal::sigaltstack),
            pass(132, "utime").served(SysPath::utime),
            pass(133, "mknod").served(SysPath::mknod),
            deny(134, "uselib", Errno.ENOSYS, "obsolete"),
            emulate(135, "personality", "answered by the Sentry: the query and setting PER_LINUX give PER_LINUX, any other persona EPERM (no READ_IMPLIES_EXEC)", SysProcess::personality),
            deny(136, "ustat", Errno.ENOSYS, "obsolete statistics of the host's devices; as a kernel built without it"),
            pass(137, "statfs").kvm(SysFsInfo::statfs, "no file counts or filesystem id").served(SysPath::statfs),
            pass(138, "fstatfs", "the Sentry makes it on its duplicate of the program's descriptor").kvm(SysFsInfo::fstatfs, "the root filesystem's figures for any descriptor").served(SysHeldDescriptor::fstatfs),
            deny(139, "sysfs", Errno.ENOSYS, "obsolete filesystem-type query; as a kernel built without it"),
            pass(140, "getpriority", "made by the Sentry on the tasks of the sandbox named (PRIO_PGRP, PRIO_USER: its own only)").served(SysProcessControl::getpriority),
            pass(141, "setpriority", "made by the Sentry at the program's identity on the tasks of the sandbox named").served(SysProcessControl::setpriority),
            pass(142, "sched_setparam", "made by the Sentry at the program's identity on a task of the sandbox").served(SysProcessControl::schedSetparam),
            pass(143, "sched_getparam", "of a task of the sandbox, made by the Sentry").served(SysProcessControl::schedGetparam),
            pass(144, "sched_setscheduler", "made by the Sentry at the program's identity on a task of the sandbox").served(SysProcessControl::schedSetscheduler),
            pass(145, "sched_getscheduler", "of a task of the sandbox, made by the Sentry").served(SysProcessControl::schedGetscheduler),
            emulate(146, "sched_get_priority_max", "the kernel's constants", SysThread::schedGetPriorityMax),
            emulate(147, "sched_get_priority_min", "the kernel's constants", SysThread::schedGetPriorityMin),
            pass(148, "sched_rr_get_interval", "of a task of the sandbox, made by the Sentry").served(SysProcessControl::schedRrGetInterval),
            emulate(149, "mlock", MLOCK, SysMmap::mlock),
            emulate(150, "munlock", "answered by the Sentry: nothing is locked, so it succeeds unless the range wraps (EINVAL) or ends above the user half (ENOMEM); holes in the range are not looked for (Linux: ENOMEM)", SysMmap::munlock),
            emulate(151, "mlockall", MLOCK, SysMmap::mlockall),
            emulate(152, "munlockall", "answered by the Sentry: nothing is locked", SysMmap::munlockall),
            deny(153, "vhangup", Errno.EPERM, "terminal hangup"),
            deny(154, "modify_ldt", Errno.EPERM, "segment descriptors: legacy attack surface"),
            deny(155, "pivot_root", Errno.EPERM, "mount family"),
            deny(156, "_sysctl", Errno.ENOSYS, "removed from Linux"),
            check(157, "prctl", "options on a list (others EINVAL); no_new_privs stays set").kvm(SysThread::prctl, "PR_SET_NAME, PR_GET_NAME and no_new_privs only"),
            pass(158, "arch_prctl").kvm(SysThread::archPrctl, "ARCH_SET_FS and ARCH_GET_FS only"),
            deny(159, "adjtimex", Errno.EPERM, "host clock"),
            pass(160, "setrlimit", "prlimit64 of the caller, made by the Sentry with no capability: hard limits only lowered").served(SysProcessControl::setrlimit),
            deny(161, "chroot", Errno.EPERM, "the root is fixed by the engine"),
            pass(162, "sync", "the sandbox's writable file systems are flushed (syncfs on /, /workspace, /tmp), not the host's; on another thread").served(SysHeldDescriptor::sync),
            deny(163, "acct", Errno.EPERM, "process accounting is host-wide"),
            deny(164, "settimeofday", Errno.EPERM, "host clock"),
            deny(165, "mount", Errno.EPERM, "mount family: the sandbox's filesystem view is fixed"),
            deny(166, "umount2", Errno.EPERM, "mount family"),
            deny(167, "swapon", Errno.EPERM, "host swap"),
            deny(168, "swapoff", Errno.EPERM, "host swap"),
            deny(169, "reboot", Errno.EPERM, "host power"),
            deny(170, "sethostname", Errno.EPERM, "hostname is fixed"),
            deny(171, "setdomainname", Errno.EPERM, "domain name is fixed"),
            deny(172, "iopl", Errno.EPERM, "port I/O"),
            deny(173, "ioperm", Errno.EPERM, "port I/O"),
            deny(174, "create_module", Errno.ENOSYS, "removed from Linux"),
            deny(175, "init_module", Errno.EPERM, "kernel module loading"),
            deny(176, "delete_module", Errno.EPERM, "kernel module unloading"),
            deny(177, "get_kernel_syms", Errno.ENOSYS, "removed from Linux"),
            deny(178, "query_module", Errno.ENOSYS, "removed from Linux"),
            deny(179, "quotactl", Errno.EPERM, "host quotas"),
            deny(180, "nfsservctl", Errno.ENOSYS, "removed from Linux"),
            deny(181, "getpmsg", Errno.ENOSYS, "never implemented"),
            deny(182, "putpmsg", Errno.ENOSYS, "never implemented"),
            deny(183, "afs_syscall", Errno.ENOSYS, "never implemented"),
            deny(184, "tuxcall", Errno.ENOSYS, "never implemented"),
            deny(185, "security", Errno.ENOSYS, "never implemented"),
            emulate(186, "gettid", "thread id in the sandbox's pid space", SysIdentity::gettid),
            pass(187, "readahead", "the Sentry makes it on its duplicate of the program's descriptor").served(SysHeldDescriptor::readahead),
            pass(188, "setxattr").served(SysPath::xattrByPath),
            pass(189, "lsetxattr").served(SysPath::xattrByPath),
            pass(190, "fsetxattr", "the Sentry makes it on its duplicate of the program's descriptor: user.* and POSIX ACLs only (trusted.*, security.* EPERM); values of 64 KiB at most").served(SysHeldDescriptor::fsetxattr),
            pass(191, "getxattr").kvm(SysFsInfo::getxattr, "no file has extended attributes (ENODATA)").served(SysPath::xattrByPath),
            pass(192, "lgetxattr").kvm(SysFsInfo::lgetxattr, "no file has extended attributes (ENODATA)").served(SysPath::xattrByPath),
            pass(193, "fgetxattr", "the Sentry makes it on its duplicate of the program's descriptor: user.*, security.capability and POSIX ACLs only (other names ENODATA)").kvm(SysFsInfo::fgetxattr, "no file has extended attributes (ENODATA)").served(SysHeldDescriptor::fgetxattr),
            pass(194, "listxattr").kvm(SysFsInfo::listxattr, "no file has extended attributes (an empty list)").served(SysPath::xattrByPath),
            pass(195, "llistxattr").kvm(SysFsInfo::llistxattr, "no file has extended attributes (an empty list)").served(SysPath::xattrByPath),
            pass(196, "flistxattr", "the Sentry makes it on its duplicate of the program's descriptor; only the names fgetxattr serves are listed").kvm(SysFsInfo::flistxattr, "no file has extended attributes (an empty list)").served(SysHeldDescriptor::flistxattr),
            pass(197, "removexattr").served(SysPath::xattrByPath),
            pass(198, "lremovexattr").served(SysPath::xattrByPath),
            pass(199, "fremovexattr", "the Sentry makes it on its duplicate of the program's descriptor: user.* and POSIX ACLs only (trusted.*, security.* EPERM)").served(SysHeldDescriptor::fremovexattr),
            pass(200, "tkill", "confined by the pid namespace").kvm(SysSignal::tkill, "only the program itself"),
            pass(201, "time", "answered by the Sentry from its clock").kvm(SysTime::time).served(SysTime::time),
            pass(202, "futex").kvm(SysThread::futex, "WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAIT_BITSET, WAKE_BITSET; no WAKE_OP or priority inheritance (ENOSYS)"),
            pass(203, "sched_setaffinity", "the mask narrowed to the sandbox's CPUs, made by the Sentry on a task of the sandbox").served(SysProcessControl::schedSetaffinity),
            pass(204, "sched_getaffinity", "of a task of the sandbox, the mask size bounded, made by the Sentry").kvm(SysThread::schedGetaffinity, "the engine's CPUs, no more than a CPU rate's whole cores, at most 64").served(SysProcessControl::schedGetaffinity),
            deny(205, "set_thread_area", Errno.ENOSYS, TLS_32),
            deny(206, "io_setup", Errno.ENOSYS, LEGACY_AIO),
            deny(207, "io_destroy", Errno.ENOSYS, LEGACY_AIO),
            deny(208, "io_getevents", Errno.ENOSYS, LEGACY_AIO),
            deny(209, "io_submit", Errno.ENOSYS, LEGACY_AIO),
            deny(210, "io_cancel", Errno.ENOSYS, LEGACY_AIO),
            deny(211, "get_thread_area", Errno.ENOSYS, TLS_32),
            deny(212, "lookup_dcookie", Errno.EPERM, "profiling"),
            pass(213, "epoll_create", "size checked (<= 0 EINVAL); " + NEW_DESCRIPTOR).kvm(SysEpoll::epollCreate).served(SysNewDescriptor::epollCreate),
            deny(214, "epoll_ctl_old", Errno.ENOSYS, EPOLL_OLD),
            deny(215, "epoll_wait_old", Errno.ENOSYS, EPOLL_OLD),
            deny(216, "remap_file_pages", Errno.ENOSYS, "deprecated since Linux 3.16 (then emulated with mmap); as a kernel built without it"),
            pass(217, "getdents64").kvm(SysStat::getdents64),
            pass(218, "set_tid_address").kvm(SysThread::setTidAddress),
            pass(219, "restart_syscall"),
            deny(220, "semtimedop", Errno.ENOSYS, SYSV_IPC),
            pass(221, "fadvise64", "the Sentry makes it on its duplicate of the program's descriptor").served(SysHeldDescriptor::fadvise64),
            pass(222, "timer_create"),
            pass(223, "timer_settime"),
            pass(224, "timer_gettime"),
            pass(225, "timer_getoverrun"),
            pass(226, "timer_delete"),
            deny(227, "clock_settime", Errno.EPERM, "host clock"),
            pass(228, "clock_gettime").kvm(SysTime::clockGettime),
            pass(229, "clock_getres", "answered by the Sentry: the host's resolutions, CPU clocks of the sandbox's own pids; other ids EINVAL").kvm(SysTime::clockGetres).served(SysTime::clockGetresServed),
            pass(230, "clock_nanosleep").kvm(SysTime::clockNanosleep, "a signal the thread does not block ends it with EINTR"),
            pass(231, "exit_group").kvm(SysThread::exitGroup),
            pass(232, "epoll_wait").kvm(SysEpoll::epollWait),
            pass(233, "epoll_ctl").kvm(SysEpoll::epollCtl, "regular files, directories and devices: EPERM"),
            pass(234, "tgkill", "confined by the pid namespace").kvm(SysSignal::tgkill, "the threads of the caller's own process"),
            pass(235, "utimes").served(SysPath::utimes),
            deny(236, "vserver", Errno.ENOSYS, "never implemented"),
            deny(237, "mbind", Errno.ENOSYS, "NUMA placement: as a kernel built without NUMA"),
            deny(238, "set_mempolicy", Errno.ENOSYS, "NUMA placement: as a kernel built without NUMA"),
            deny(239, "get_mempolicy", Errno.ENOSYS, "NUMA placement: as a kernel built without NUMA"),
            deny(240, "mq_open", Errno.ENOSYS, POSIX_MQ),
            deny(241, "mq_unlink", Errno.ENOSYS, POSIX_MQ),
            deny(242, "mq_timedsend", Errno.ENOSYS, POSIX_MQ),
            deny(243, "mq_timedreceive", Errno.ENOSYS, POSIX_MQ),
            deny(244, "mq_notify", Errno.ENOSYS, POSIX_MQ),
            deny(245, "mq_getsetattr", Errno.ENOSYS, POSIX_MQ),
            deny(246, "kexec_load", Errno.EPERM, "replaces the host kernel"),
            pass(247, "waitid").kvm(SysProcess::waitid, "no stopped or continued children; no pidfds (P_PIDFD is EBADF); rusage is zero"),
            deny(248, "add_key", Errno.EPERM, "kernel keyrings are shared"),
            deny(249, "request_key", Errno.EPERM, "kernel keyrings are shared"),
            deny(250, "keyctl", Errno.EPERM, "kernel keyrings are shared"),
            pass(251, "ioprio_set", "made by the Sentry at the program's identity on the tasks of the sandbox named").served(SysProcessControl::ioprioSet),
            pass(252, "ioprio_get", "of the tasks of the sandbox named, made by the Sentry").served(SysProcessControl::ioprioGet),
            pass(253, "inotify_init", NEW_DESCRIPTOR).served(SysNewDescriptor::inotifyInit),
            pass(254, "inotify_add_watch", "the Sentry resolves the path and adds the watch to the program's own instance").served(SysPath::inotifyAddWatch),
            pass(255, "inotify_rm_watch", "the Sentry makes it on its duplicate of the program's descriptor").served(SysHeldDescriptor::inotifyRmWatch),
            deny(256, "migrate_pages", Errno.ENOSYS, "NUMA placement: as a kernel built without NUMA"),
            pass(257, "openat", "opened by the Sentry with openat2 and no magic links, installed with ADDFD; O_PATH: checked, then run by the kernel").kvm(SysFile::openat, "host device nodes, FIFOs and sockets give EACCES; no O_TMPFILE").served(SysPath::openat),
            pass(258, "mkdirat").kvm(SysFile::mkdirat, "the mode is not applied").served(SysPath::mkdirat),
            pass(259, "mknodat").served(SysPath::mknodat),
            pass(260, "fchownat").served(SysPath::fchownat),
            pass(261, "futimesat").served(SysPath::futimesat),
            pass(262, "newfstatat", "with AT_EMPTY_PATH (glibc's fstat) it runs natively by a filter check").kvm(SysStat::newfstatat, "host owners; st_blocks counted in 4 KiB blocks").served(SysPath::newfstatat),
            pass(263, "unlinkat").kvm(SysFile::unlinkat).served(SysPath::unlinkat),
            pass(264, "renameat").kvm(SysFile::renameat).served(SysPath::renameat),
            pass(265, "linkat").kvm(SysFile::linkat, "AT_EMPTY_PATH gives EINVAL").served(SysPath::linkat),
            pass(266, "symlinkat").kvm(SysFile::symlinkat).served(SysPath::symlinkat),
            pass(267, "readlinkat").kvm(SysFile::readlinkat).served(SysPath::readlinkat),
            pass(268, "fchmodat").kvm(SysFileMode::fchmodat, "the rwx bits only; setuid, setgid and sticky are dropped").served(SysPath::fchmodat),
            pass(269, "faccessat").kvm(SysFile::faccessat, "permissions from the host file and the mount").served(SysPath::faccessat),
            pass(270, "pselect6").kvm(SysPoll::pselect6, "the signal mask argument is not applied"),
            pass(271, "ppoll").kvm(SysPoll::ppoll, "the signal mask argument is not applied"),
            deny(272, "unshare", Errno.EPERM, "namespaces are set up by the engine only"),
            pass(273, "set_robust_list").kvm(SysThread::setRobustList),
            emulate(274, "get_robust_list", "refused (ENOSYS, as a kernel without robust futexes): the lists are the host kernel's, and only debuggers and checkpointers ask", SysThread::getRobustList).kvmPartial("the threads of the caller's own process"),
            pass(275, "splice"),
            pass(276, "tee", "the Sentry makes it on its duplicates of the program's two pipes; one that waits is made on another thread, and a signal to the caller interrupts it").served(SysHeldDescriptor::tee),
            pass(277, "sync_file_range", "the Sentry makes it on its duplicate of the program's descriptor, on another thread").served(SysHeldDescriptor::syncFileRange),
            pass(278, "vmsplice"),
            deny(279, "move_pages", Errno.ENOSYS, "NUMA placement: as a kernel built without NUMA"),
            pass(280, "utimensat", "a null path (futimens) runs natively by a filter check").kvm(SysFileMode::utimensat, "futimens (a null path) only on files open for writing").served(SysPath::utimensat),
            pass(281, "epoll_pwait").kvm(SysEpoll::epollPwait, "the signal mask argument is not applied"),
            pass(282, "signalfd", "made by the Sentry, or the mask set on its duplicate of the program's signalfd").served(SysNewDescriptor::signalfd),
            pass(283, "timerfd_create", "the four clocks Linux takes; the alarm clocks EPERM (no CAP_WAKE_ALARM); " + NEW_DESCRIPTOR).served(SysNewDescriptor::timerfdCreate),
            pass(284, "eventfd", NEW_DESCRIPTOR).served(SysNewDescriptor::eventfd),
            pass(285, "fallocate", "the Sentry makes it on its duplicate of the program's descriptor, on another thread: modes 0, KEEP_SIZE, PUNCH_HOLE|KEEP_SIZE, ZERO_RANGE (with or without KEEP_SIZE); others EOPNOTSUPP").kvm(SysFile::fallocate, "mode 0 only; others give EOPNOTSUPP").served(SysHeldDescriptor::fallocate),
            pass(286, "timerfd_settime", "the Sentry makes it on its duplicate of the program's descriptor; the new setting read once").served(SysHeldDescriptor::timerfdSettime),
            pass(287, "timerfd_gettime", "the Sentry makes it on its duplicate of the program's descriptor").served(SysHeldDescriptor::timerfdGettime),
            pass(288, "accept4").kvm(SysSocket::accept4),
            pass(289, "signalfd4", "flags checked; made by the Sentry, or the mask set on its duplicate of the program's signalfd").served(SysNewDescriptor::signalfd4),
            pass(290, "eventfd2", NEW_DESCRIPTOR).served(SysNewDescriptor::eventfd2),
            pass(291, "epoll_create1", NEW_DESCRIPTOR).kvm(SysEpoll::epollCreate1).served(SysNewDescriptor::epollCreate1),
            pass(292, "dup3").kvm(SysFile::dup3),
            pass(293, "pipe2", "flags checked, O_NOTIFICATION_PIPE ENOPKG (no watch queues); made by the Sentry, both ends installed with ADDFD").kvm(SysFile::pipe2).served(SysNewDescriptor::pipe2),
            pass(294, "inotify_init1", NEW_DESCRIPTOR).served(SysNewDescriptor::inotifyInit1),
            pass(295, "preadv"),
            pass(296, "pwritev"),
            pass(297, "rt_tgsigqueueinfo", "the kernel's, in the pid namespace: sent by the Sentry, the receiver would see si_pid 0 (a sender in an ancestor namespace)"),
            deny(298, "perf_event_open", Errno.EPERM, "kernel attack surface, side channels"),
            pass(299, "recvmmsg"),
            deny(300, "fanotify_init", Errno.EPERM, "filesystem-wide monitoring"),
            deny(301, "fanotify_mark", Errno.EBADF, "no fanotify descriptor can exist here: fanotify_init is denied"),
            pass(302, "prlimit64", "of a task of the sandbox, made by the Sentry with no capability").kvm(SysInfo::prlimit64, "new limits are accepted and the sandbox's stay in force").served(SysProcessControl::prlimit64),
            deny(303, "name_to_handle_at", Errno.EOPNOTSUPP, "file handles are not offered"),
            deny(304, "open_by_handle_at", Errno.EPERM, "opens files by handle, outside the root"),
            deny(305, "clock_adjtime", Errno.EPERM, "host clock"),
            pass(306, "syncfs", "the Sentry makes it on its duplicate of the program's descriptor, on another thread").served(SysHeldDescriptor::syncfs),
            pass(307, "sendmmsg", "on an AF_UNIX datagram socket: each message sent by the Sentry as sendmsg's").served(SysUnixSocket::sendmmsg),
            deny(308, "setns", Errno.EPERM, "namespaces are set up by the engine only"),
            pass(309, "getcpu", "the CPU the caller last ran on, from the host's /proc").kvm(SysThread::getcpu, "always CPU 0, node 0").served(SysProcessControl::getcpu),
            deny(310, "process_vm_readv", Errno.EPERM, "cross-process memory access"),
            deny(311, "process_vm_writev", Errno.EPERM, "cross-process memory access"),
            deny(312, "kcmp", Errno.EPERM, "kernel pointer comparison"),
            deny(313, "finit_module", Errno.EPERM, "kernel module loading"),
            pass(314, "sched_setattr", "the struct bounded to a page, made by the Sentry at the program's identity on a task of the sandbox").served(SysProcessControl::schedSetattr),
            pass(315, "sched_getattr", "of a task of the sandbox, the size bounded to a page, made by the Sentry").served(SysProcessControl::schedGetattr),
            pass(316, "renameat2").kvm(SysFile::renameat2, "RENAME_EXCHANGE and RENAME_WHITEOUT give EINVAL").served(SysPath::renameat2),
            deny(317, "seccomp", Errno.ENOSYS, "as a kernel before 3.17: libseccomp then installs a program's filter with prctl(PR_SET_SECCOMP), which only narrows ours; the flags and user-notification listeners of seccomp(2) (a listener's USER_NOTIF outranks our TRACE) stay out of reach"),
            pass(318, "getrandom", "flags checked; answered by the Sentry from the host's generator, at most 64 KiB per call").kvm(SysInfo::getrandom, "at most 64 KiB per call").served(SysInfo::getrandomServed),
            pass(319, "memfd_create", "name read once (249 bytes); MFD_HUGETLB ENOSYS (huge pages are outside the memory limit); " + NEW_DESCRIPTOR).served(SysNewDescriptor::memfdCreate),
            deny(320, "kexec_file_load", Errno.EPERM, "replaces the host kernel"),
            deny(321, "bpf", Errno.EPERM, "kernel attack surface"),
            pass(322, "execveat", "served: the Sentry resolves the path (and a #! script's interpreter) in the sandbox at the program's identity and installs the file; the kernel runs that descriptor (execveat AT_EMPTY_PATH) and the loaded image is checked"),
            deny(323, "userfaultfd", Errno.EPERM, "used to widen kernel race windows"),
            pass(324, "membarrier"),
            emulate(325, "mlock2", MLOCK, SysMmap::mlock2),
            pass(326, "copy_file_range", "the Sentry makes it on its duplicates of the program's two descriptors, on another thread; offsets read once and written back; 16 MiB at most a call").served(SysHeldDescriptor::copyFileRange),
            pass(327, "preadv2"),
            pass(328, "pwritev2"),
            deny(329, "pkey_mprotect", Errno.ENOSYS, PKEYS),
            deny(330, "pkey_alloc", Errno.ENOSYS, PKEYS),
            deny(331, "pkey_free", Errno.ENOSYS, PKEYS),
            pass(332, "statx", "with AT_EMPTY_PATH it runs natively by a filter check").kvm(SysStat::statx, "host owners; the birth time is the change time").served(SysPath::statx),
            deny(333, "io_pgetevents", Errno.ENOSYS, LEGACY_AIO),
            pass(334, "rseq"),
            deny(335, "uretprobe", Errno.ENOSYS, "uprobe trampolines only: the kernel lets those past seccomp, anyone else gets this"),
            deny(336, "uprobe", Errno.ENOSYS, "uprobe trampolines only: the kernel lets those past seccomp, anyone else gets this"),
            pass(424, "pidfd_send_signal", "the kernel's, in the pid namespace: sent by the Sentry, the receiver would see si_pid 0 (a sender in an ancestor namespace)"),
            deny(425, "io_uring_setup", Errno.EPERM, "io_uring bypasses the syscall filter"),
            deny(426, "io_uring_enter", Errno.EPERM, "io_uring bypasses the syscall filter"),
            deny(427, "io_uring_register", Errno.EPERM, "io_uring bypasses the syscall filter"),
            deny(428, "open_tree", Errno.EPERM, "new mount API"),
            deny(429, "move_mount", Errno.EPERM, "new mount API"),
            deny(430, "fsopen", Errno.EPERM, "new mount API"),
            deny(431, "fsconfig", Errno.EPERM, "new mount API"),
            deny(432, "fsmount", Errno.EPERM, "new mount API"),
            deny(433, "fspick", Errno.EPERM, "new mount API"),
            pass(434, "pidfd_open", "of a task of the sandbox, opened by the Sentry and installed").served(SysProcessControl::pidfdOpen),
            deny(435, "clone3", Errno.ENOSYS, "flags live in memory the filter cannot check; libc falls back to clone"),
            pass(436, "close_range"),
            pass(437, "openat2", "opened by the Sentry with openat2 and no magic links, installed with ADDFD; O_PATH: checked, then run by the kernel").served(SysPath::openat2),
            deny(438, "pidfd_getfd", Errno.EPERM, "steals descriptors of other processes"),
            pass(439, "faccessat2").kvm(SysFile::faccessat, "permissions from the host file and the mount; no AT_EACCESS").served(SysPath::faccessat2),
            deny(440, "process_madvise", Errno.EPERM, "acts on other processes"),
            pass(441, "epoll_pwait2").kvm(SysEpoll::epollPwait2, "the signal mask argument is not applied"),
            deny(442, "mount_setattr", Errno.EPERM, "new mount API"),
            deny(443, "quotactl_fd", Errno.EPERM, "host quotas"),
            deny(444, "landlock_create_ruleset", Errno.ENOSYS, LANDLOCK),
            deny(445, "landlock_add_rule", Errno.ENOSYS, LANDLOCK),
            deny(446, "landlock_restrict_self", Errno.ENOSYS, LANDLOCK),
            deny(447, "memfd_secret", Errno.ENOSYS, "not offered"),
            deny(448, "process_mrelease", Errno.ENOSYS, "frees the memory of a process being killed, which only an out-of-memory daemon does; as a kernel before 5.15"),
            deny(449, "futex_waitv", Errno.ENOSYS, "waits on several futexes (Proton's fsync, which falls back to other waits without it): as a kernel before 5.16"),
            deny(450, "set_mempolicy_home_node", Errno.ENOSYS, "NUMA placement: as a kernel built without NUMA"),
            deny(451, "cachestat", Errno.ENOSYS, "page-cache state of files other tenants share (the read-only image): a side channel between them; as a kernel before 6.5"),
            pass(452, "fchmodat2").kvm(SysFileMode::fchmodat2, "the rwx bits only; setuid, setgid and sticky are dropped").served(SysPath::fchmodat2),
            deny(453, "map_shadow_stack", Errno.EPERM, "not offered"),
            deny(454, "futex_wake", Errno.ENOSYS, FUTEX2),
            deny(455, "futex_wait", Errno.ENOSYS, FUTEX2),
            deny(456, "futex_requeue", Errno.ENOSYS, FUTEX2),
            deny(457, "statmount", Errno.ENOSYS, MOUNT_DETAILS),
            deny(458, "listmount", Errno.ENOSYS, MOUNT_DETAILS),
            deny(459, "lsm_get_self_attr", Errno.ENOSYS, "security module state; as a kernel built without it"),
            deny(460, "lsm_set_self_attr", Errno.EPERM, "security module state"),
            deny(461, "lsm_list_modules", Errno.ENOSYS, "security modules of the host; as a kernel built without it"),
            deny(462, "mseal", Errno.ENOSYS, "sealing mappings against change: as a kernel before 6.10"));

    private static final Map<Integer, Syscall> BY_NUMBER;
    private static final Map<String, Syscall> BY_NAME;
    /** Indexed by number for the hot path; null where the table has no entry. */
    private static final Syscall[] DENSE;

    static {
        Map<Integer, Syscall> byNumber = new TreeMap<>();
        Map<String, Syscall> byName = new HashMap<>();
        int max = 0;
        for (Syscall s : ALL) {
            if (byNumber.put(s.number(), s) != null) {
                throw new IllegalStateException("duplicate syscall number " + s.number());
            }
            if (byName.put(s.name(), s) != null) {
                throw new IllegalStateException("duplicate syscall name " + s.name());
            }
            max = Math.max(max, s.number());
        }
        DENSE = new Syscall[max + 1];
        for (Syscall s : ALL) {
            DENSE[s.number()] = s;
        }
        BY_NUMBER = Collections.unmodifiableMap(byNumber);
        BY_NAME = Collections.unmodifiableMap(byName);
    }

    private SyscallTable() {
    }

    /** The entry for a number as the kernel dispatches it, if the table has one. */
    public static Optional<Syscall> lookup(long number) {
        return Optional.ofNullable(get(number));
    }

    /** Like {@link #lookup} without allocation: the entry, or null (default deny). */
    public static Syscall get(long number) {
        return number >= 0 && number < DENSE.length ? DENSE[(int) number] : null;
    }

    /** The number of a call by name; throws {@link IllegalArgumentException} for an unknown name. */
    public static int numberOf(String name) {
        Syscall s = BY_NAME.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no x86-64 system call named " + name);
        }
        return s.number();
    }

    /** The entry for a name, if any. */
    public static Optional<Syscall> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** The name of a number, or {@code unknown_<nr>}. */
    public static String nameOf(long number) {
        Syscall s = get(number);
        return s == null ? "unknown_" + number : s.name();
    }

    /** Highest number in the table. */
    public static int maxNumber() {
        return DENSE.length - 1;
    }

    /** Entries by number, ordered. */
    public static Map<Integer, Syscall> byNumber() {
        return BY_NUMBER;
    }
}
