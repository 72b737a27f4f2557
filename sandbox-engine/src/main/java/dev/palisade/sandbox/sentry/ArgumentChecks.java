package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.abi.Ioctl;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The argument checks of the calls the table marks {@link Syscall.Action#CHECK}: which socket
 * families, {@code ioctl} requests and {@code prctl} options reach the host
 * kernel. Each list is what programs need (glibc, coreutils, python, gcc, git, a JVM), not what
 * the kernel offers; the rest is refused and recorded.
 *
 * <ul>
 *   <li><b>socket</b>: {@code AF_UNIX}, {@code AF_INET}, {@code AF_INET6}. Both network policies
 *       (none: only a down {@code lo}; loopback) use these three, so one list serves both.
 *       {@code AF_NETLINK} is refused: glibc's {@code getaddrinfo(AI_ADDRCONFIG)} asks
 *       {@code NETLINK_ROUTE} which address families exist and, when the socket fails, assumes
 *       both (which is the truth in a sandbox with a loopback); the rtnetlink, packet, ALG, vsock,
 *       bluetooth, XDP… families are host kernel code no program of ours needs.
 *       {@code socketpair}: {@code AF_UNIX} only (the only family Linux pairs).</li>
 *   <li><b>ioctl</b>: terminal attributes and window size, the descriptor flags ({@code FIONBIO},
 *       {@code FIOCLEX}…), {@code FIONREAD}, the socket queries of {@code if_nametoindex} and
 *       friends, and the file queries of coreutils ({@code FICLONE}, {@code FS_IOC_FIEMAP},
 *       {@code FS_IOC_GETFLAGS}). {@code TIOCSTI} (typing into a terminal), {@code TIOCLINUX},
 *       every setter of interfaces and every device's own requests get {@code ENOTTY}.</li>
 *   <li><b>prctl</b>: names, death signal, dumpable, no_new_privs, seccomp (stacking only
 *       narrows), timer slack, THP, speculation control, child subreaper, {@code PR_SET_VMA}
 *       (glibc names its mappings) and the read-only queries; not {@code PR_SET_MM},
 *       {@code PR_SET_SYSCALL_USER_DISPATCH}, {@code PR_SCHED_CORE}, {@code PR_SET_IO_FLUSHER},
 *       {@code PR_MCE_KILL}, KSM… ({@code EINVAL}, as for an option the kernel does not know).</li>
 * </ul>
 */
public final class ArgumentChecks {

    public static final List<ArgumentCheck> ALL = List.of(
            new ArgumentCheck(16, 1, ioctls(), Errno.ENOTTY, "ioctl request"),
            new ArgumentCheck(41, 0, Map.of("AF_UNIX", 1L, "AF_INET", 2L, "AF_INET6", 10L), Errno.EAFNOSUPPORT, "socket family"),
            new ArgumentCheck(53, 0, Map.of("AF_UNIX", 1L), Errno.EAFNOSUPPORT, "socketpair family"),
            new ArgumentCheck(157, 0, prctlOptions(), Errno.EINVAL, "prctl option"));

    private ArgumentChecks() {
    }

    /** The check of call {@code nr}, if it has one. */
    public static Optional<ArgumentCheck> of(long nr) {
        return ALL.stream().filter(a -> a.number() == nr).findFirst();
    }

    /** On ptrace, a CHECK call that stopped: run it natively if its argument is allowed (a {@code --trace} run stops at every call), else refuse it. */
    static long decide(long nr, SyscallContext c) {
        ArgumentCheck a = of(nr).orElseThrow(() -> new IllegalStateException("no argument check for call " + nr));
        return a.allows(c.arg(a.argument())) ? Handler.RUN_NATIVELY : a.refuse(c);
    }

    private static Map<String, Long> ioctls() {
        Map<String, Long> m = new LinkedHashMap<>();
        // terminals (asm/ioctls.h)
        m.put("TCGETS", (long) Ioctl.TCGETS);
        m.put("TCSETS", (long) Ioctl.TCSETS);
        m.put("TCSETSW", (long) Ioctl.TCSETSW);
        m.put("TCSETSF", (long) Ioctl.TCSETSF);
        m.put("TCSBRK", (long) Ioctl.TCSBRK);
        m.put("TCXONC", (long) Ioctl.TCXONC);
        m.put("TCFLSH", (long) Ioctl.TCFLSH);
        m.put("TIOCGPGRP", (long) Ioctl.TIOCGPGRP);
        m.put("TIOCSPGRP", (long) Ioctl.TIOCSPGRP);
        m.put("TIOCOUTQ", (long) Ioctl.TIOCOUTQ);
        m.put("TIOCGWINSZ", (long) Ioctl.TIOCGWINSZ);
        m.put("TIOCSWINSZ", (long) Ioctl.TIOCSWINSZ);
        m.put("TIOCGSID", (long) Ioctl.TIOCGSID);
        m.put("TCGETS2", 0x802c542aL);
        m.put("TCSETS2", 0x402c542bL);
        m.put("TCSETSW2", 0x402c542cL);
        m.put("TCSETSF2", 0x402c542dL);
        // descriptors
        m.put("FIONREAD", (long) Ioctl.FIONREAD);
        m.put("FIONBIO", (long) Ioctl.FIONBIO);
        m.put("FIONCLEX", (long) Ioctl.FIONCLEX);
        m.put("FIOCLEX", (long) Ioctl.FIOCLEX);
        m.put("FIOASYNC", (long) Ioctl.FIOASYNC);
        m.put("FIOQSIZE", (long) Ioctl.FIOQSIZE);
        // sockets: queries only (linux/sockios.h)
        m.put("SIOCATMARK", (long) Ioctl.SIOCATMARK);
        m.put("SIOCGIFNAME", (long) Ioctl.SIOCGIFNAME);
        m.put("SIOCGIFCONF", (long) Ioctl.SIOCGIFCONF);
        m.put("SIOCGIFFLAGS", (long) Ioctl.SIOCGIFFLAGS);
        m.put("SIOCGIFADDR", (long) Ioctl.SIOCGIFADDR);
        m.put("SIOCGIFMTU", (long) Ioctl.SIOCGIFMTU);
        m.put("SIOCGIFHWADDR", (long) Ioctl.SIOCGIFHWADDR);
        m.put("SIOCGIFINDEX", (long) Ioctl.SIOCGIFINDEX);
        // files (linux/fs.h, linux/fiemap.h): what cp, ls and lsattr ask
        m.put("FIGETBSZ", 2L);
        m.put("FICLONE", 0x40049409L);
        m.put("FICLONERANGE", 0x4020940dL);
        m.put("FIDEDUPERANGE", 0xc0189436L);
        m.put("FS_IOC_FIEMAP", 0xc020660bL);
        m.put("FS_IOC_GETFLAGS", 0x80086601L);
        m.put("FS_IOC_GETVERSION", 0x80087601L);
        // the entropy count some programs read from /dev/random (linux/random.h)
        m.put("RNDGETENTCNT", 0x80045200L);
        return m;
    }

    private static Map<String, Long> prctlOptions() {
        Map<String, Long> m = new LinkedHashMap<>();
        long[] numbers = {1, 2, 3, 4, 7, 8, 13, 15, 16, 21, 22, 23, 27, 29, 30, 36, 37, 38, 39, 40, 41, 42, 47, 52, 53, 65, 66};
        String[] names = {"PR_SET_PDEATHSIG", "PR_GET_PDEATHSIG", "PR_GET_DUMPABLE", "PR_SET_DUMPABLE", "PR_GET_KEEPCAPS",
                "PR_SET_KEEPCAPS", "PR_GET_TIMING", "PR_SET_NAME", "PR_GET_NAME", "PR_GET_SECCOMP", "PR_SET_SECCOMP",
                "PR_CAPBSET_READ", "PR_GET_SECUREBITS", "PR_SET_TIMERSLACK", "PR_GET_TIMERSLACK", "PR_SET_CHILD_SUBREAPER",
                "PR_GET_CHILD_SUBREAPER", "PR_SET_NO_NEW_PRIVS", "PR_GET_NO_NEW_PRIVS", "PR_GET_TID_ADDRESS",
                "PR_SET_THP_DISABLE", "PR_GET_THP_DISABLE", "PR_CAP_AMBIENT", "PR_GET_SPECULATION_CTRL",
                "PR_SET_SPECULATION_CTRL", "PR_SET_MDWE", "PR_GET_MDWE"};
        for (int i = 0; i < names.length; i++) {
            m.put(names[i], numbers[i]);
        }
        m.put("PR_SET_VMA", 0x53564d41L);
        m.put("PR_GET_AUXV", 0x41555856L);
        m.put("PR_SET_PTRACER", 0x59616d61L);
        return m;
    }
}
