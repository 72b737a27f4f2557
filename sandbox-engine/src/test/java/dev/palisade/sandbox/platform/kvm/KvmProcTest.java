package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import java.util.Arrays;
import java.util.List;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Sentry's /proc on KVM: real programs read their own entries and the resource views, and get
 * what they get on the ptrace platform (a real procfs in the sandbox's pid namespace). Then what
 * must stay contained: the host's processes are never visible, and no link, {@code ..} or write
 * through /proc leaves the sandbox.
 */
class KvmProcTest {
    /** One CPU and 256 MiB: the views must show exactly these on both platforms. */
    private static final Limits VIEW_LIMITS = LIMITS.withMemoryBytes(256L << 20).withCpuMillicores(1000);

    @BeforeAll
    static void kvm() {
        assumeKvm();
    }

    private static Run onBoth(Limits limits, String script) throws Exception {
        assumeTrue(PTRACE.unavailableReason().isEmpty(), () -> "ptrace platform unavailable: " + PTRACE.unavailableReason().orElse(""));
        Run kvm = run(PLATFORM, SandboxSpec.builder(List.of("/bin/sh", "-c", script)).limits(limits).build(), null);
        Run ptrace = run(PTRACE, SandboxSpec.builder(List.of("/bin/sh", "-c", script)).limits(limits).build(), null);
        String what = script + "\nkvm: " + kvm.result().message() + "\nkvm stderr: " + kvm.stderr();
        assertThat(kvm.result().platform()).isEqualTo("kvm");
        assertThat(kvm.stdout()).as("stdout of " + what).isEqualTo(ptrace.stdout());
        assertThat(kvm.stderr()).as("stderr of " + what).isEqualTo(ptrace.stderr());
        assertThat(kvm.result().exitCode()).as(what).isEqualTo(ptrace.result().exitCode());
        return kvm;
    }

    private static Run onKvm(String script) throws Exception {
        Run r = run(PLATFORM, SandboxSpec.builder(List.of("/bin/sh", "-c", script)).limits(LIMITS).build(), null);
        assertThat(r.result().termination()).as(r.stderr() + r.result().message()).isEqualTo(Termination.EXITED);
        return r;
    }

    @Test
    void a_process_reads_its_own_entries_as_on_ptrace() throws Exception {
        Run r = onBoth(LIMITS, "readlink /proc/self/exe; readlink /proc/self/cwd; cd /tmp && readlink /proc/self/cwd && cd /workspace; "
                + "cat /proc/self/status > st; grep -E '^(Name|State|Threads):' st; "
                + "awk -v sh=$$ '/^PPid:/ {print ($2 == sh ? \"ppid is the shell\" : \"ppid \" $2)} /^Pid:/ {print ($2 > 0 ? \"pid\" : \"no pid\")}' st; "
                + "ls /proc/self/fd; readlink /proc/self/fd/1 | tr -d 0-9; exec 5</dev/null; readlink /proc/$$/fd/5; "
                + "cat /proc/self/cmdline | tr '\\0' ,; echo; cat /proc/self/comm; cut -d' ' -f2-3 /proc/self/stat; "
                + "env -i A=b cat /proc/self/environ | tr '\\0' ,; echo; "
                + "stat -c '%F %s %a' /proc/self/status /proc/self/environ; stat -c '%F %a' /proc/self/fd; stat -L -c %F /proc/self; "
                + "[ /proc/self -ef /proc/$$ ] || echo not-self; "
                + "cd /proc/self && ls -d fd maps && cd fd && ls | head -1");
        assertThat(r.stdout()).startsWith("/usr/bin/readlink\n/workspace\n/tmp\nName:\tcat\nState:\tR (running)\nThreads:\t1\n")
                .contains("pid\nppid is the shell\n0\n1\n2\n3\npipe:[]\n/dev/null\ncat,/proc/self/cmdline,\ncat\n(cut) R\n", "A=b,\n",
                        "regular empty file 0 444\nregular empty file 0 400\ndirectory 500\ndirectory\n");
    }

    @Test
    void meminfo_cpuinfo_and_stat_show_the_limits_as_on_ptrace() throws Exception {
        Run r = onBoth(VIEW_LIMITS, "head -3 /proc/meminfo; free -b | awk '/^Mem:/ {print $2}'; nproc; "
                + "python3 -c 'import os; print(os.cpu_count())'; grep -c ^processor /proc/cpuinfo; grep -c '^cpu[0-9]' /proc/stat; "
                + "grep -m1 '^model name' /proc/cpuinfo | cut -c1-10; "
                + "(echo x > /proc/meminfo) 2>/dev/null || echo read-only");
        long kb = (256L << 20) / 1024;
        assertThat(r.stdout()).isEqualTo(String.format("%-16s%8s kB%n%-16s%8s kB%n%-16s%8s kB%n", "MemTotal:", kb, "MemFree:", kb,
                "MemAvailable:", kb) + (256L << 20) + "\n1\n1\n1\n1\nmodel name\nread-only\n");
    }

    @Test
    void python_finds_its_own_libc_in_its_maps() throws Exception {
        assumeTrue(have("python3"), "python3 is not installed");
        Run r = onBoth(LIMITS, "python3 -c '\n"
                + "import ctypes, os, sys\n"
                + "maps = [l.split() for l in open(\"/proc/self/maps\")]\n"
                + "libc = [m for m in maps if len(m) == 6 and m[5].endswith(\"/libc.so.6\")]\n"
                + "printf = ctypes.cast(ctypes.CDLL(None).printf, ctypes.c_void_p).value\n"
                + "def inside(m, a):\n"
                + "    lo, hi = (int(x, 16) for x in m[0].split(\"-\"))\n"
                + "    return lo <= a < hi\n"
                + "print(len(libc) > 1, [m[1] for m in libc if inside(m, printf)])\n"
                + "print(os.path.realpath(libc[0][5]) == os.path.realpath(\"/lib/x86_64-linux-gnu/libc.so.6\"))\n"
                + "print(os.readlink(\"/proc/self/exe\") == os.path.realpath(sys.executable))\n"
                + "print(sorted({m[5] for m in maps if len(m) == 6 and m[5] in (\"[heap]\", \"[stack]\", \"[vdso]\")}))\n"
                + "f = open(\"/proc/self/status\", \"rb\"); a = f.read(5); f.seek(0); print(a == f.read(5), os.pread(f.fileno(), 4, 0))\n"
                + "print(open(\"/proc/self/comm\").read().strip(), [l for l in open(\"/proc/self/limits\") if \"open files\" in l])\n"
                + "libc = ctypes.CDLL(None); name = ctypes.create_string_buffer(16)\n"
                + "libc.prctl(15, b\"a-name-longer-than-15\"); libc.prctl(16, name)\n"
                + "print(name.value, open(\"/proc/self/comm\").read().strip(), open(\"/proc/self/status\").readline().split())\n"
                + "'");
        assertThat(r.stdout()).isEqualTo("True ['r-xp']\nTrue\nTrue\n['[heap]', '[stack]', '[vdso]']\nTrue b'Name'\n"
                + "python3 ['Max open files            1024                 1024                 files     \\n']\n"
                + "b'a-name-longer-t' a-name-longer-t ['Name:', 'a-name-longer-t']\n");
    }

    @Test
    void writes_and_creates_under_proc_fail_as_on_ptrace() throws Exception {
        assumeTrue(have("python3"), "python3 is not installed");
        onBoth(LIMITS, "python3 -c '\n"
                + "import errno, os\n"
                + "def e(f):\n"
                + "    try:\n"
                + "        f(); return \"ok\"\n"
                + "    except OSError as x:\n"
                + "        return errno.errorcode[x.errno]\n"
                + "print(e(lambda: os.open(\"/proc/self/status\", os.O_WRONLY)), e(lambda: os.open(\"/proc/meminfo\", os.O_RDWR)),\n"
                + "      e(lambda: os.open(\"/proc/x\", os.O_CREAT | os.O_WRONLY)), e(lambda: os.open(\"/proc/self/status\", os.O_RDONLY | os.O_TRUNC)),\n"
                + "      e(lambda: os.mkdir(\"/proc/x\")), e(lambda: os.unlink(\"/proc/self/exe\")), e(lambda: os.symlink(\"/\", \"/proc/self/fd/9\")),\n"
                + "      e(lambda: os.rename(\"/proc/self/comm\", \"/proc/self/x\")), e(lambda: os.open(\"/proc/self\", os.O_WRONLY)),\n"
                + "      e(lambda: os.stat(\"/proc/self/fd/\" + \"1\" * 300)), e(lambda: os.stat(\"/proc/\" + \"9\" * 200)))\n"
                + "print(os.access(\"/proc/meminfo\", os.W_OK), os.access(\"/proc/meminfo\", os.R_OK), os.access(\"/proc/self/exe\", os.X_OK),\n"
                + "      os.access(\"/proc/self/status\", os.W_OK), e(lambda: os.access(\"/proc/nothing\", os.F_OK)))\n"
                + "'");
    }

    @Test
    void links_are_links_to_lstat_as_natively(@TempDir Path dir) throws Exception {
        String script = "stat -c %F /proc/self /proc/self/exe /proc/self/cwd /proc/self/fd/0 /proc/thread-self; readlink /proc/self/root";
        Native n = runNative(dir, List.of("/bin/sh", "-c", script));
        Run r = onKvm(script);
        assertThat(r.stdout()).isEqualTo(n.stdout()).isEqualTo("symbolic link\n".repeat(5) + "/\n");
    }

    @Test
    void dev_fd_and_the_stdio_links_lead_into_proc_as_natively(@TempDir Path dir) throws Exception {
        String script = "(echo to-stderr > /dev/stderr) 2>&1; echo in | cat /dev/stdin; readlink /dev/stdout /dev/fd; "
                + "exec 7</dev/null; readlink /dev/fd/7; ls /dev/fd/ | grep -x 7";
        Native n = runNative(dir, List.of("/bin/sh", "-c", script));
        Run r = onKvm(script);
        assertThat(r.stdout()).isEqualTo(n.stdout()).isEqualTo("to-stderr\nin\n/proc/self/fd/1\n/proc/self/fd\n/dev/null\n7\n");
    }

    @Test
    void proc_lists_only_the_sandboxs_processes() throws Exception {
        long host = ProcessHandle.current().pid();
        assumeTrue(host > VirtualProcessLimit.MAX, "the engine's own pid could be a sandbox pid");
        Run r = onKvm("ls /proc > l; grep -E '^[0-9]+$' l | tr '\\n' ' '; echo; "
                + "sleep 5 & s=$!; ls /proc | grep -qx $s && echo child-listed; readlink /proc/$s/exe; kill $s; "
                + "ls /proc/" + host + " 2>&1 >/dev/null | grep -c 'No such file'; cat /proc/" + host + "/cmdline 2>&1 | grep -c 'No such file'; "
                + "readlink /proc/" + host + "/exe || echo no-host-exe; ls /proc/1/ >/dev/null && echo pid1; ls /proc/0 2>/dev/null || echo no-pid0; "
                + "ls /proc/01 2>/dev/null || echo no-leading-zero; ls /proc/" + (VirtualProcessLimit.MAX + 1) + " 2>/dev/null || echo no-other; "
                + "[ \"$(cat /proc/version)\" = \"Linux version $(uname -r) (palisade@sandbox) $(uname -v)\" ] && echo version-is-uname");
        String[] pids = r.stdout().lines().findFirst().orElseThrow().trim().split(" ");
        assertThat(pids).as(r.stdout()).contains("1").allMatch(p -> Integer.parseInt(p) <= VirtualProcessLimit.MAX);
        assertThat(pids.length).as(r.stdout()).isEqualTo(2);   // the shell (pid 1) and ls
        assertThat(r.stdout()).contains("child-listed\n/usr/bin/sleep\n1\n1\nno-host-exe\npid1\nno-pid0\nno-leading-zero\nno-other\nversion-is-uname\n");
        assertThat(Arrays.asList(pids)).doesNotContain(String.valueOf(host));
    }

    @Test
    void links_dot_dot_and_writes_through_proc_stay_inside() throws Exception {
        assumeTrue(have("python3"), "python3 is not installed");
        Run r = onKvm("ls / > root; "
                + "ls /proc/1/root/ | cmp -s - root && echo root-link-is-sandbox-root; "
                + "ls /proc/self/root/../../.. | cmp -s - root && echo root-dotdot-stays; "
                + "ls /proc/self/fd/../../../../.. | cmp -s - root && echo fd-dotdot-stays; "
                + "ls /dev/fd/../../../.. | cmp -s - root && echo dev-fd-dotdot-stays; "
                + "ls /proc/self/cwd/../../../.. | cmp -s - root && echo cwd-dotdot-stays; "
                + "cd /proc/self/cwd/../../../.. && ls | cmp -s - /workspace/root && echo chdir-stays; cd /workspace; "
                + "ln -s /proc/self/root/.. esc && ls esc/ | cmp -s - root && echo symlink-stays; "
                + "ln -s /proc/1/cwd/../../proc/self/root/../etc e2 && ls e2/shadow 2>/dev/null || echo no-shadow; "
                + "cat /proc/self/root/etc/shadow 2>/dev/null || echo no-shadow-via-root; "
                + "ls /proc/self/root/proc/1/root/root 2>/dev/null || echo no-host-root; "
                + "python3 -c '\n"
                + "import errno, os\n"
                + "def e(f):\n"
                + "    try:\n"
                + "        f(); return \"ok\"\n"
                + "    except OSError as x:\n"
                + "        return errno.errorcode[x.errno]\n"
                + "print(e(lambda: os.open(\"/proc/self/mem\", os.O_RDWR)))\n"
                + "d = os.open(\"/proc/self/fd\", os.O_RDONLY)\n"
                + "print(sorted(os.listdir(os.open(\"../../../..\", os.O_RDONLY, dir_fd=d))) == sorted(os.listdir(\"/\")))\n"
                + "print(e(lambda: os.readlink(\"/proc/self/fd/0/..\")), e(lambda: os.open(\"/proc/self/fd/1/x\", os.O_RDONLY)))\n"
                + "os.symlink(\"/proc/self/cwd/loop\", \"loop\")\n"
                + "print(e(lambda: os.open(\"loop\", os.O_RDONLY)), e(lambda: os.stat(\"/proc/\" + \"9\" * 200)),\n"
                + "      e(lambda: os.stat(\"/proc/self/fd/\" + \"1\" * 300)), e(lambda: os.stat(\"/proc/-1\")), os.readlink(\"/proc/self/exe\")[:1])\n"
                + "f = os.open(\"/proc/self/status\", os.O_RDONLY)\n"
                + "print(e(lambda: os.lseek(f, -1, 0)), os.lseek(f, 2 ** 62, 0), os.read(f, 10), os.pread(f, 10, 2 ** 62), e(lambda: os.write(f, b\"x\")))\n"
                + "'; "
                + "sh -c 'cat /proc/1/environ' 2>/dev/null || echo no-parent-environ; "
                + "cat /proc/self/environ | tr '\\0' '\\n' | grep -c ^PATH=");
        assertThat(r.stdout()).isEqualTo("root-link-is-sandbox-root\nroot-dotdot-stays\nfd-dotdot-stays\ndev-fd-dotdot-stays\ncwd-dotdot-stays\nchdir-stays\n"
                + "symlink-stays\nno-shadow\nno-shadow-via-root\nno-host-root\n"
                + "ENOENT\nTrue\nENOTDIR ENOTDIR\nELOOP ENOENT ENOENT ENOENT /\n"
                + "EINVAL 4611686018427387904 b'' b'' EBADF\nno-parent-environ\n1\n");
    }

    /** The most processes a KVM sandbox holds, so a larger pid cannot be one of its own. */
    private static final class VirtualProcessLimit {
        static final int MAX = KvmTask.MAX_PROCESSES;
    }
}
