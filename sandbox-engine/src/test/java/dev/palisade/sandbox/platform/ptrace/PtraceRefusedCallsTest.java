package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.DeniedCall;
import dev.palisade.sandbox.SandboxSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.runNative;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Calls that a kernel without the feature refuses (SysV IPC, message queues, protection keys,
 * mseal, futex2, Landlock, seccomp(2), get_robust_list), the memory-locking calls and
 * personality, which the Sentry answers, and the legacy getdents, which it serves: none reaches
 * the host kernel, each answers as such a kernel would, and real programs do not miss them.
 */
class PtraceRefusedCallsTest {

    private static Path programs, listing;

    /** What {@code refused.c} prints in the sandbox: the refusals, and the Sentry's own answers. */
    private static final String IN_THE_SANDBOX = """
            shmget: ENOSYS
            shmat: ENOSYS
            shmdt: ENOSYS
            shmctl: ENOSYS
            semget: ENOSYS
            semop: ENOSYS
            semtimedop: ENOSYS
            semctl: ENOSYS
            msgget: ENOSYS
            msgsnd: ENOSYS
            msgrcv: ENOSYS
            msgctl: ENOSYS
            shmget hostile size: ENOSYS
            mq_open: ENOSYS
            mq_timedsend: ENOSYS
            mq_timedreceive: ENOSYS
            mq_notify: ENOSYS
            mq_getsetattr: ENOSYS
            mq_unlink: ENOSYS
            mq_open bad name: ENOSYS
            pkey_alloc: ENOSYS
            pkey_mprotect: ENOSYS
            pkey_free: ENOSYS
            mseal: ENOSYS
            mseal bad flags: ENOSYS
            futex_wake: ENOSYS
            futex_wait: ENOSYS
            futex_requeue: ENOSYS
            futex_waitv: ENOSYS
            futex_waitv bad count: ENOSYS
            landlock_create_ruleset version: ENOSYS
            landlock_add_rule: ENOSYS
            landlock_restrict_self: ENOSYS
            get_robust_list: ENOSYS
            getdents: the same records as getdents64 in as many calls
            getdents too small: EINVAL
            getdents bad buffer: EFAULT
            getdents bad descriptor: EBADF
            getdents not a directory: ENOTDIR
            personality query: 0
            personality PER_LINUX: 0
            personality READ_IMPLIES_EXEC: EPERM
            personality high bits only: 0
            personality now: 0
            seccomp GET_ACTION_AVAIL: ENOSYS
            seccomp NEW_LISTENER: ENOSYS
            prctl(PR_SET_SECCOMP): 0
            libseccomp rule: 0, load: 0
            getppid under the program's filter: EIO
            RLIMIT_MEMLOCK at start: 0 0
            mlock: EPERM
            mlock nothing: EPERM
            mlock2: EPERM
            mlock2 bad flags: EINVAL
            mlockall: EPERM
            mlockall no flags: EINVAL
            mlockall MCL_ONFAULT alone: EINVAL
            mlockall unknown flag: EINVAL
            munlock: 0
            munlock nothing: 0
            munlock wrapping: EINVAL
            munlock above the user half: ENOMEM
            munlockall: 0
            """;

    /** The calls refused with ENOSYS, as {@code refused.c} names its lines. */
    private static final List<String> REFUSED = List.of("shmget", "shmat", "shmdt", "shmctl", "semget", "semop",
            "semtimedop", "semctl", "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_timedsend", "mq_timedreceive",
            "mq_notify", "mq_getsetattr", "mq_unlink", "pkey_alloc", "pkey_mprotect", "pkey_free", "mseal", "futex_wake",
            "futex_wait", "futex_requeue", "futex_waitv", "landlock_create_ruleset version", "landlock_add_rule",
            "landlock_restrict_self", "get_robust_list", "seccomp GET_ACTION_AVAIL", "seccomp NEW_LISTENER");

    @BeforeAll
    static void programs() throws Exception {
        Runs.assumePlatform();
        programs = Runs.compile("refused");
        listing = Files.createTempDirectory("palisade-listing");
        for (int i = 0; i < 150; i++) {
            Files.createFile(listing.resolve("a-file-with-a-rather-long-name-" + "x".repeat(i % 40) + "-" + i));
        }
        Files.createDirectory(listing.resolve("sub"));
        Files.createSymbolicLink(listing.resolve("link"), Path.of("sub"));
        Files.setPosixFilePermissions(listing, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static SandboxSpec.Builder refused(String program, String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "/r/" + program;
        System.arraycopy(args, 0, cmd, 1, args.length);
        return spec(cmd).bind(new SandboxSpec.Bind(programs, "/r", true)).bind(new SandboxSpec.Bind(listing, "/d", true));
    }

    @Test
    void noneReachesTheHostAndEachAnswersAsAKernelWithoutIt() {
        var sandboxed = run(refused("refused", "/d").build());
        assertThat(sandboxed.stdout()).as(sandboxed.stderr()).isEqualTo(IN_THE_SANDBOX);
        // refusals are recorded and end nothing: the program ran to its end
        assertThat(sandboxed.status()).isZero();
        assertThat(sandboxed.result().deniedCalls()).extracting(DeniedCall::name)
                .contains("shmget", "semtimedop", "mq_open", "pkey_alloc", "mseal", "futex_waitv", "futex_wake",
                        "landlock_create_ruleset", "get_robust_list", "seccomp", "personality")
                .doesNotContain("mlock", "munlock", "getdents", "prctl");
        assertThat(sandboxed.result().deniedCalls()).filteredOn(d -> d.name().equals("personality"))
                .singleElement().satisfies(d -> assertThat(d.detail()).contains("0x400000"));

        // natively the same calls reach the kernel, which has every one of these features
        var natively = runNative(listing, Map.of(), programs.resolve("refused").toString(), listing.toString());
        assertThat(natively.status()).as(natively.stderr()).isZero();
        for (String call : REFUSED) {
            assertThat(line(natively.stdout(), call)).as(call).isNotNull().doesNotEndWith(": ENOSYS");
        }
        assertThat(line(natively.stdout(), "personality READ_IMPLIES_EXEC")).isEqualTo("personality READ_IMPLIES_EXEC: 0");
        assertThat(line(natively.stdout(), "RLIMIT_MEMLOCK at start")).isEqualTo("RLIMIT_MEMLOCK at start: not 0");
        // where the sandbox's position can be taken natively (RLIMIT_MEMLOCK 0, no CAP_IPC_LOCK; the
        // same directory), the kernel's answers are the Sentry's
        assertThat(from(natively.stdout(), "mlock: ")).isEqualTo(from(sandboxed.stdout(), "mlock: "));
        assertThat(between(natively.stdout(), "getdents: ", "personality query"))
                .isEqualTo(between(sandboxed.stdout(), "getdents: ", "personality query"));
    }

    @Test
    void aProgramCannotMakeASeccompListenerWhetherOrNotPathsAreServed() {
        // natively a listener answering "continue" lets the call it catches run; in the sandbox its
        // USER_NOTIF would outrank the filter's TRACE
        var natively = runNative(programs, Map.of(), programs.resolve("notif_bypass").toString());
        assertThat(natively.stdout()).isEqualTo("seccomp listener: ok\nunshare(CLONE_NEWUSER): ok\n");
        for (boolean serve : new boolean[] {true, false}) {
            var o = PtracePathServingTest.withServing(serve, () -> run(refused("notif_bypass").build()));
            assertThat(o.stdout()).as("servePaths=" + serve + ": " + o.stderr())
                    .isEqualTo("seccomp listener: Function not implemented\n");
        }
    }

    @Test
    void realProgramsDoNotMissThem() {
        // multiprocessing's locks, semaphores, shared memory and queues are POSIX (/dev/shm, futex), not SysV
        var python = run(spec("python3", "-c", "import multiprocessing as mp, resource\n"
                + "from multiprocessing import shared_memory\n"
                + "def square(x):\n    return x * x\n"
                + "if __name__ == '__main__':\n"
                + "    with mp.Pool(2) as p:\n        print(p.map(square, range(5)))\n"
                + "    with mp.Lock():\n        print('lock')\n"
                + "    s = mp.Semaphore(2); s.acquire(); s.release(); print('semaphore')\n"
                + "    m = shared_memory.SharedMemory(create=True, size=4096); m.buf[0] = 7; print('shared', m.buf[0]); m.close(); m.unlink()\n"
                + "    q = mp.Queue(); q.put('queued'); print(q.get())\n"
                + "    print(resource.getrlimit(resource.RLIMIT_MEMLOCK))").build());
        assertThat(python.stdout()).as(python.stderr())
                .isEqualTo("[0, 1, 4, 9, 16]\nlock\nsemaphore\nshared 7\nqueued\n(0, 0)\n");
        assertThat(python.result().deniedCalls()).extracting(DeniedCall::name).doesNotContain("semget", "shmget", "mq_open");
        // the limit that explains mlock's EPERM, as a shell shows it; ls reads directories with getdents64
        var shell = run(spec("/bin/bash", "-c", "ulimit -l; ulimit -Hl; ls /d | wc -l")
                .bind(new SandboxSpec.Bind(listing, "/d", true)).build());
        assertThat(shell.stdout()).as(shell.stderr()).isEqualTo("0\n0\n152\n");
    }

    /** The line of {@code out} that starts with {@code name + ":"}, or null. */
    private static String line(String out, String name) {
        return Arrays.stream(out.split("\n")).filter(l -> l.startsWith(name + ":")).findFirst().orElse(null);
    }

    private static String from(String out, String start) {
        return out.substring(out.indexOf(start));
    }

    private static String between(String out, String start, String end) {
        return out.substring(out.indexOf(start), out.indexOf(end));
    }
}
