package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Path tricks against the Sentry's path serving ({@code attacks/path_tricks.c}): every path call
 * is resolved by the Sentry inside the sandbox's root, at the program's identity, from the one
 * copy of the path it read; each trick's outcome is asserted.
 */
class PtracePathServingTest {

    static Path attacks;

    @BeforeAll
    static void compile() throws Exception {
        Runs.assumePlatform();
        org.junit.jupiter.api.Assumptions.assumeTrue(Tracer.servePaths(), "path serving is off (engine option or rootless)");
        attacks = Runs.compileAttacks();
    }

    /** Runs {@code path_tricks what [n]}; its "name: outcome" lines. */
    private static Map<String, String> tricks(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "/att/path_tricks";
        System.arraycopy(args, 0, cmd, 1, args.length);
        var o = run(spec(cmd).bind(new SandboxSpec.Bind(attacks, "/att", true)).build());
        assertThat(o.result().termination()).as(o.stderr()).isEqualTo(Termination.EXITED);
        assertThat(o.status()).as(o.stderr()).isZero();
        assertThat(o.result().syscallCounts()).as("the opens were served").containsKey("openat");
        Map<String, String> lines = new LinkedHashMap<>();
        o.stdout().lines().forEach(l -> {
            int at = l.indexOf(": ");
            lines.put(l.substring(0, at), l.substring(at + 2));
        });
        return lines;
    }

    @Test
    void aSymlinkSwappedBetweenCheckAndUseOpensOnlyWhatItNamesAtTheOpen() {
        var o = tricks("swap", "3000");
        // targets: an allowed file, /proc/1/root/../.., ../../proc/sys, /proc/self/root: only the allowed file ever opens
        assertThat(o).containsEntry("swap", "allowed=some other=0").doesNotContainKey("opened");
    }

    @Test
    void aPathRewrittenByAnotherThreadIsReadOnce() {
        var o = tricks("race", "3000");
        // the buffer flips between /tmp/allowed and /proc/sys/kernel/hostname: never does the refused one open
        assertThat(o).containsEntry("race", "allowed=some other=0").doesNotContainKey("opened");
    }

    @Test
    void dotDotAndProcLinksStayInsideTheSandbox() {
        var o = tricks("dotdot");
        assertThat(o).containsEntry("dotdot-abs", "ok:allowed").containsEntry("dotdot-rel", "ok:allowed")
                .containsEntry("dirfd-dotdot", "ok:allowed").containsEntry("symlink-up", "ok:allowed")
                .containsEntry("self-root", "ok:allowed").containsEntry("own-cwd", "ok:allowed")
                .containsEntry("stat-dotdot", "ok");
        // its own root's parent is its root: the sandbox's /etc/hostname (the host's, bound read-only)
        assertThat(o.get("self-root-dotdot")).startsWith("ok:");
        // another process's links are not followed for it (pid 1 is not the program's to read)
        assertThat(o).containsEntry("init-cwd", "EACCES");
        // a symlink to /proc/self is the Sentry's own lookup, which has no pid in the sandbox
        assertThat(o).containsEntry("symlink-magic", "ENOENT");
        assertThat(o).containsEntry("readlink-exe", "/att/path_tricks").containsEntry("bad-dirfd", "EBADF")
                .containsEntry("bad-pointer", "EFAULT").containsEntry("empty", "ENOENT");
    }

    @Test
    void oPathDescriptorsReopenOnlyAsThePermissionsAllow() {
        var o = tricks("opath");
        assertThat(o).containsEntry("opath-readonly-mount-rdwr", "EACCES").containsEntry("opath-readonly-mount-read", "ok")
                .containsEntry("opath-mode-000", "EACCES").containsEntry("opath-direct-mode-000", "EACCES")
                .containsEntry("opath-dirfd", "ok:allowed").containsEntry("init-fd", "EACCES");
    }

    @Test
    void openat2KeepsEveryResolveFlagOfTheProgram() {
        var o = tricks("openat2");
        assertThat(o).containsEntry("beneath-inside", "ok:inside").containsEntry("beneath-dotdot", "EXDEV")
                .containsEntry("beneath-absolute-link", "EXDEV").containsEntry("in-root-dotdot", "ok:inside")
                .containsEntry("in-root-absolute", "ok:inside").containsEntry("in-root-absolute-link", "ENOENT")
                .containsEntry("no-symlinks", "ELOOP").containsEntry("no-symlinks-plain", "ok:inside")
                .containsEntry("no-magiclinks", "ELOOP").containsEntry("no-xdev-same", "ok:inside")
                .containsEntry("no-xdev-cross", "EXDEV").containsEntry("cached", "ok:inside")
                .containsEntry("unknown-flag", "EINVAL").containsEntry("small-how", "EINVAL");
    }

    @Test
    void nothingOfTheKernelsProcAndSysOpens() {
        var o = tricks("kernel");
        assertThat(o).containsEntry("kcore", "ENOENT").containsEntry("proc-sys", "ENOENT")
                .containsEntry("proc-sys-dir", "ENOENT").containsEntry("sysrq", "ENOENT")
                .containsEntry("sys", "ENOENT").containsEntry("sys-dir", "ENOENT")
                .containsEntry("init-environ", "EACCES").containsEntry("host-pid", "ENOENT")
                .containsEntry("proc-cpuinfo", "ok");
        assertThat(o.get("own-status")).startsWith("ok:Name:");
    }

    /** Every served change to files, in the sandbox with serving on and off: the same output and status. */
    @Test
    void fileChangesGiveWhatTheKernelGives() {
        String script = "cd /tmp && mkdir -p a/b && mkdir a/b 2>&1; echo hi > a/f; ln a/f a/hard; ln -s f a/soft; readlink a/soft; "
                + "cat a/soft; mv a/f a/g; ls a; chmod 600 a/g; stat -c '%a %U %h' a/g; touch -d '2020-01-01 00:00' a/g; "
                + "stat -c %y a/g | cut -c1-10; truncate -s 5 a/g; stat -c %s a/g; rm a/hard a/soft; rmdir a/b; ls a; "
                + "mkfifo a/p && ls -l a/p | cut -c1; cd a && pwd && cd .. && rm -r a && ls; cd /nonexistent 2>&1; "
                + "python3 -c 'import os; os.makedirs(\"/tmp/x/y\"); os.rename(\"/tmp/x/y\", \"/tmp/x/z\"); "
                + "print(os.listdir(\"/tmp/x\")); os.utime(\"/tmp/x/z\", (1, 2)); print(os.stat(\"/tmp/x/z\").st_mtime); "
                + "os.symlink(\"z\", \"/tmp/x/l\"); print(os.path.realpath(\"/tmp/x/l\")); os.chdir(\"/proc/self/cwd/x/z\"); "
                + "print(os.getcwd())'; chown 0 /etc/hostname 2>&1; echo chown=$?; touch /etc/x 2>&1; mv /tmp /x 2>&1; "
                + "umask 077; mkdir /tmp/m; stat -c %a /tmp/m; exit 4";
        var served = run(spec("/bin/bash", "-c", script).build());
        var kernel = withServingOff(() -> run(spec("/bin/bash", "-c", script).build()));
        assertThat(served.stdout()).as(served.stderr()).isEqualTo(kernel.stdout()).contains("600 nobody 2", "2020-01-01", "/tmp/x/z\n/tmp/x/z\n");
        assertThat(served.status()).isEqualTo(kernel.status()).isEqualTo(4);
        assertThat(served.result().syscallCounts()).containsKeys("mkdir", "rename", "unlinkat");
    }

    /**
     * inotify watches through raw calls (ctypes): events, the same watch by another name, a link
     * itself, and every error in the kernel's order, in the sandbox with serving on and off.
     */
    private static final String WATCHES = """
            import ctypes, os, struct
            libc = ctypes.CDLL(None, use_errno=True)
            def add(fd, path, mask):
                r = libc.inotify_add_watch(fd, path, ctypes.c_uint32(mask))
                return r if r >= 0 else -ctypes.get_errno()
            CREATE, MODIFY, ATTRIB, ONLYDIR, DONT_FOLLOW = 0x100, 0x2, 0x4, 0x01000000, 0x02000000
            MASK_CREATE, MASK_ADD = 0x10000000, 0x20000000
            fd = libc.inotify_init1(os.O_NONBLOCK)
            os.makedirs("/tmp/w/sub"); open("/tmp/w/f", "w").close()
            os.symlink("f", "/tmp/w/l"); os.symlink("/etc/hostname", "/tmp/w/out"); os.mkdir("/tmp/w/closed", 0); os.chdir("/tmp")
            wd = add(fd, b"/tmp/w", CREATE)
            open("/tmp/w/new", "w").close()
            data = os.read(fd, 4096)
            w, mask, cookie, n = struct.unpack_from("iIII", data)
            print("event", wd > 0, w == wd, hex(mask), data[16:16 + n].rstrip(bytes(1)))
            print("same", add(fd, b"w", CREATE) == wd, add(fd, b"/../../tmp/./w/", CREATE) == wd,
                  add(fd, b"/proc/self/cwd/w", CREATE) == wd, add(fd, b"/dev/fd/%d/../../../tmp/w" % fd, CREATE))
            f = add(fd, b"/tmp/w/f", MODIFY)
            print("link", add(fd, b"w/l", MODIFY) == f, add(fd, b"w/l", ATTRIB | DONT_FOLLOW) not in (f, wd))
            print("outside", add(fd, b"/tmp/w/out", ATTRIB) > 0, add(fd, b"w/sub", CREATE | ONLYDIR) > 0)
            print("errors", add(fd, b"/tmp/w/nope", CREATE), add(fd, b"/tmp/w/f", CREATE | ONLYDIR), add(fd, b"", CREATE),
                  add(fd, b"/tmp/w", 0), add(999, b"/tmp/w", CREATE), add(999, b"/nope", 0), add(1, b"/tmp/w", CREATE),
                  add(fd, b"/tmp/w", CREATE | MASK_CREATE), add(fd, b"/tmp/w", MASK_ADD | MASK_CREATE | CREATE),
                  add(fd, ctypes.c_void_p(8), CREATE), add(fd, b"w/closed", CREATE), add(fd, b"/tmp/w/f/x", CREATE))
            """;

    @Test
    void inotifyWatchesAreAddedByTheSentryAsTheKernelWould() {
        var served = run(spec("python3", "-c", WATCHES).build());
        var kernel = withServingOff(() -> run(spec("python3", "-c", WATCHES).build()));
        assertThat(served.stderr()).isEmpty();
        assertThat(served.stdout()).isEqualTo(kernel.stdout()).isEqualTo("""
                event True True 0x100 b'new'
                same True True True -20
                link True True
                outside True True
                errors -2 -20 -2 -22 -9 -22 -22 -17 -22 -14 -13 -20
                """);
        assertThat(served.result().syscallCounts()).containsKey("inotify_add_watch");
        assertThat(kernel.result().syscallCounts()).doesNotContainKey("inotify_add_watch");
    }

    /** The served calls' round trip stays on one CPU where the kernel can (Linux 6.6): its flag is the ioctl's argument. */
    @Test
    void servedCallsWakeTheSentryOnTheCallersCpuWhereTheKernelCan() throws Exception {
        String[] v = System.getProperty("os.version").split("[.-]");
        int major = Integer.parseInt(v[0]), minor = Integer.parseInt(v[1]);
        List<String> trace = new CopyOnWriteArrayList<>();
        var platform = new PtracePlatform(PtracePlatform.DEFAULT_UID, PtracePlatform.DEFAULT_GID, trace::add);
        try (var s = platform.start(spec("/bin/cat", "/etc/hostname").trace(true).build())) {
            s.stdin().close();
            assertThat(s.await(Duration.ofSeconds(30))).isPresent();
        }
        boolean kernelHasIt = major > 6 || (major == 6 && minor >= 6);
        assertThat(trace).contains(kernelHasIt ? "path serving: synchronous wake-ups, on the caller's CPU"
                : "path serving: no synchronous wake-ups (Linux 6.6 has them): each call may cross CPUs");
    }

    static <T> T withServingOff(java.util.function.Supplier<T> run) {
        return withServing(false, run);
    }

    /** {@code run} with path serving on or off for the sandboxes it starts, then as before. */
    static <T> T withServing(boolean on, java.util.function.Supplier<T> run) {
        return withEngineOption(Tracer.SERVE_PATHS_PROPERTY, Boolean.toString(on), run);
    }

    /** {@code run} with engine option {@code name} (a system property) set to {@code value}, then as before. */
    static <T> T withEngineOption(String name, String value, java.util.function.Supplier<T> run) {
        String before = System.getProperty(name);
        System.setProperty(name, value);
        try {
            return run.get();
        } finally {
            if (before == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, before);
            }
        }
    }

    @Test
    void withTheOptionOffPathsRunNativelyAsBefore() {
        String script = "cat /proc/sys/kernel/hostname; cat /etc/hostname > /dev/null && echo read";
        var o = withServingOff(() -> run(spec("/bin/sh", "-c", script).build()));
        assertThat(o.stdout()).isEqualTo("sandbox\nread\n");
        assertThat(o.result().syscallCounts()).doesNotContainKey("openat");
    }
}
