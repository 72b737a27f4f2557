package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.palisade.sandbox.platform.ptrace.PtracePathServingTest.withServingOff;
import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The calls the Sentry serves by making the object itself ({@code SysNewDescriptor}: pipes,
 * eventfds, epoll, inotify, timerfd, signalfd and memfd instances) and those it answers
 * from its clock and entropy ({@code time}, {@code gettimeofday}, {@code clock_getres},
 * {@code getrandom}): {@code descriptors/newdesc.c} prints one line per case, hostile ones
 * included, natively, in the sandbox, and in the sandbox with serving off (the kernel running
 * them for the program); the lines must be the same. Lines named {@code priv-} depend on the
 * caller's capabilities (the native run is root's), {@code differs-} are where the Sentry
 * narrows on purpose; both are asserted apart.
 */
class PtraceNewDescriptorTest {

    static Path programs;

    @BeforeAll
    static void compile() throws Exception {
        Runs.assumePlatform();
        org.junit.jupiter.api.Assumptions.assumeTrue(Tracer.servePaths(), "path serving is off (engine option or rootless)");
        programs = Runs.compile("descriptors");
    }

    private static Runs.Outcome inSandbox(String mode) {
        var o = run(spec("/nd/newdesc", mode).bind(new SandboxSpec.Bind(programs, "/nd", true)).build());
        assertThat(o.result().termination()).as(o.stderr() + o.result().message()).isEqualTo(Termination.EXITED);
        assertThat(o.status()).as(o.stderr()).isZero();
        return o;
    }

    /** The lines but those whose name starts with one of {@code prefixes}. */
    private static Map<String, String> without(Map<String, String> lines, String... prefixes) {
        Map<String, String> out = new LinkedHashMap<>(lines);
        for (String p : prefixes) {
            out.keySet().removeIf(k -> k.startsWith(p));
        }
        return out;
    }

    /** Served, natively and with serving off: the same lines but the marked ones; the served ones' lines. */
    private static Map<String, String> compared(String mode) {
        var served = inSandbox(mode);
        var kernel = withServingOff(() -> inSandbox(mode));
        var host = Runs.runNative(programs, Map.of(), programs.resolve("newdesc").toString(), mode);
        assertThat(host.status()).as(host.stderr()).isZero();
        var s = Runs.namedLines(served.stdout());
        assertThat(without(s, "differs-")).isEqualTo(without(Runs.namedLines(kernel.stdout()), "differs-"));
        assertThat(without(s, "differs-", "priv-")).isEqualTo(without(Runs.namedLines(host.stdout()), "differs-", "priv-"));
        assertThat(kernel.result().syscallCounts()).doesNotContainKeys("pipe2", "eventfd2", "clock_getres");
        return s;
    }

    @Test
    void newDescriptorsAreMadeByTheSentryAsTheKernelMakesThem() {
        var served = inSandbox("desc");
        assertThat(served.result().syscallCounts()).containsKeys("pipe", "pipe2", "eventfd", "eventfd2", "epoll_create",
                "epoll_create1", "inotify_init", "inotify_init1", "timerfd_create", "signalfd", "signalfd4", "memfd_create");
        var o = compared("desc");
        assertThat(o).containsEntry("pipe", "ok adjacent=1 lowest=1 cloexec=00").containsEntry("pipe-data", "3 3 hey")
                .containsEntry("pipe2-cloexec-nonblock", "ok cloexec=11 nonblock=11 empty-read=EAGAIN")
                .containsEntry("pipe2-bad-flags", "EINVAL")
                // no descriptor is left behind for an array Linux could not write
                .containsEntry("pipe-null", "EFAULT leaked=0").containsEntry("pipe-read-only", "EFAULT leaked=0")
                .containsEntry("pipe-across-end", "EFAULT leaked=0").containsEntry("pipe-at-end", "ok")
                .containsEntry("eventfd", "ok value=5 cloexec=0")
                .containsEntry("eventfd2-semaphore", "ok first=1 cloexec=1 nonblock=1 after-three=EAGAIN")
                .containsEntry("epoll_create-0", "EINVAL").containsEntry("epoll_create--1", "EINVAL")
                .containsEntry("epoll_create1", "ok cloexec=1 ready=1 data=42")
                .containsEntry("inotify_init1", "ok cloexec=1 nonblock=1 watch=1 empty=EAGAIN event=1:f")
                .containsEntry("timerfd", "ok cloexec=1 ticks=1").containsEntry("timerfd-clock-2", "EINVAL")
                // a signalfd the Sentry made reads the signals of the process that reads it
                .containsEntry("signalfd", "ok cloexec=0 read=128 signo=10 own-pid=1")
                .containsEntry("signalfd4-new-mask", "ok same-fd=1 signo=12 nonblock-unchanged=0")
                .containsEntry("signalfd-reader-is-the-process", "child-empty=1 parent=10")
                .containsEntry("signalfd4-not-a-signalfd", "EINVAL").containsEntry("signalfd4-closed-fd", "EBADF")
                .containsEntry("signalfd-size-before-pointer", "EINVAL").containsEntry("signalfd4-pointer-before-flags", "EFAULT")
                .containsEntry("memfd", "ok cloexec=1 link=/memfd:hello (deleted) seal=1")
                .containsEntry("memfd-name-249", "ok").containsEntry("memfd-name-250", "EINVAL")
                .containsEntry("memfd-name-across-end", "EFAULT").containsEntry("memfd-long-name-across-end", "EINVAL")
                .containsEntry("memfd-exec-and-noexec", "EINVAL").containsEntry("memfd_create-bad-flags", "EINVAL")
                .containsEntry("emfile", "pipe=EMFILE pipe2=EMFILE eventfd=EMFILE epoll=EMFILE inotify=EMFILE timerfd=EMFILE "
                        + "signalfd=EMFILE memfd=EMFILE dup=EMFILE")
                .containsEntry("one-free", "eventfd=ok at=1 pipe=EMFILE")
                // the program has no CAP_WAKE_ALARM
                .containsEntry("priv-timerfd-alarm-8", "EPERM").containsEntry("priv-timerfd-alarm-9", "EPERM")
                // narrower than the host: no watch queues, no huge pages
                .containsEntry("differs-notification-pipe", "ENOPKG").containsEntry("differs-memfd-hugetlb", "ENOSYS")
                .containsEntry("differs-memfd-hugetlb-2m", "ENOSYS");
    }

    @Test
    void clocksAndEntropyAreTheSentrysAnswers() {
        var served = inSandbox("time");
        assertThat(served.result().syscallCounts()).containsKeys("time", "gettimeofday", "clock_getres", "getrandom");
        var o = compared("time");
        assertThat(o).containsEntry("time", "near=1 stored=1").containsEntry("time-bad-pointer", "EFAULT")
                .containsEntry("gettimeofday-bad-tz", "EFAULT").containsEntry("clock_getres-0", "0.000000001")
                .containsEntry("clock_getres-10", "EINVAL").containsEntry("clock_getres-16", "EINVAL")
                .containsEntry("clock_getres-cpu-self-2-process", "0.000000001")
                .containsEntry("clock_getres-cpu-own-thread-2-thread", "0.000000001")
                .containsEntry("clock_getres-cpu-child-2-process", "0.000000001")
                .containsEntry("clock_getres-cpu-child-2-thread", "EINVAL").containsEntry("clock_getres-cpu-own-thread-2-process", "EINVAL")
                .containsEntry("clock_getres-cpu-nobody-2-process", "EINVAL").containsEntry("clock_getres-dynamic-fd-0", "EINVAL")
                .containsEntry("clock_getres-bad-pointer", "EFAULT")
                .containsEntry("getrandom-flags-3", "ok").containsEntry("getrandom-flags-6", "EINVAL")
                .containsEntry("getrandom-bad-flags", "EINVAL").containsEntry("getrandom-zero-null", "0")
                .containsEntry("getrandom-null", "EFAULT").containsEntry("getrandom-256", "256 random=1")
                .containsEntry("getrandom-1MiB", "at-least-256=1 at-most-asked=1").containsEntry("getrandom-across-end", "96");
    }

    /** getcwd is the kernel's (not served): its hostile cases still give Linux's answers in the sandbox. */
    @Test
    void getcwdIsTheKernelsAnswerForTheCallersDirectory() {
        var o = compared("cwd");
        assertThat(o).containsEntry("getcwd", "12 /tmp/nd-cwd").containsEntry("getcwd-exact", "12")
                .containsEntry("getcwd-one-short", "ERANGE").containsEntry("getcwd-1", "ERANGE")
                .containsEntry("getcwd-bad", "EFAULT").containsEntry("getcwd-removed", "ENOENT")
                .containsEntry("getcwd-no-permission", "15 /tmp/nd-closed").containsEntry("getcwd-no-permission-short", "ERANGE")
                .containsEntry("getcwd-no-permission-removed", "ENOENT").containsEntry("getcwd-deep", "depth=24 ENAMETOOLONG").containsEntry("getcwd-back", "5 /tmp");
    }

    /** A memfd's pages are the program's: filling one ends the sandbox at its memory limit, as anonymous memory does. */
    @Test
    void aMemfdFilledPastTheMemoryLimitEndsTheSandbox() {
        var o = run(spec("/nd/newdesc", "memfill").bind(new SandboxSpec.Bind(programs, "/nd", true))
                .limits(Runs.TEST_LIMITS.withMemoryBytes(64L << 20)).build());
        assertThat(o.result().termination()).as(o.stdout() + o.stderr()).isEqualTo(Termination.MEMORY_LIMIT);
        assertThat(o.result().message()).contains("memory limit");
        assertThat(o.result().syscallCounts()).containsKey("memfd_create");
    }

    /** What programs do with these calls every day, served and with serving off: the same output. */
    @Test
    void shellsAndPythonBehaveAsWithTheKernel() {
        String script = "echo one | tr o O | cat; x=$(echo sub; pwd); echo \"$x\"; cd /tmp && mkdir -p w && cd w && pwd && /bin/pwd; "
                + "python3 -c '"
                + "import os, selectors, subprocess, time, signal\n"
                + "r, w = os.pipe(); os.write(w, b\"hi\"); s = selectors.DefaultSelector(); s.register(r, selectors.EVENT_READ)\n"
                + "print(len(s.select(1)), os.read(r, 2))\n"
                + "print(subprocess.run([\"sh\", \"-c\", \"echo out; echo err >&2; exit 3\"], capture_output=True))\n"
                + "print(len(os.urandom(100000)), abs(time.time() - time.clock_gettime(time.CLOCK_REALTIME)) < 1, os.getcwd())\n"
                + "fd = os.memfd_create(\"m\"); os.write(fd, b\"abc\"); print(os.pread(fd, 3, 0), os.readlink(f\"/proc/self/fd/{fd}\"))\n"
                + "e = os.eventfd(2); print(os.eventfd_read(e))\n"
                + "signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1]); signal.raise_signal(signal.SIGUSR1)\n"
                + "print(signal.sigtimedwait([signal.SIGUSR1], 1).si_signo)\n"
                + "'";
        var served = run(spec("/bin/bash", "-c", script).build());
        var kernel = withServingOff(() -> run(spec("/bin/bash", "-c", script).build()));
        assertThat(served.stderr()).isEmpty();
        assertThat(served.stdout()).isEqualTo(kernel.stdout()).contains("One\nsub\n/workspace\n/tmp/w\n/tmp/w\n", "1 b'hi'",
                "returncode=3, stdout=b'out\\n', stderr=b'err\\n'", "100000 True /tmp/w", "b'abc' /memfd:m (deleted)", "\n2\n10\n");
        assertThat(served.result().syscallCounts()).containsKeys("pipe2", "getrandom", "memfd_create", "eventfd2");
    }
}
