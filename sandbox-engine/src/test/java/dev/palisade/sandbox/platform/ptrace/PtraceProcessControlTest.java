package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.palisade.sandbox.platform.ptrace.PtracePathServingTest.withServingOff;
import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The process-control calls served by the Sentry ({@code SysProcessControl}, program
 * {@code proccontrol/proccontrol.c}): scheduling, nice, I/O priority, rlimits, groups and sessions
 * and pidfds on the caller, a child and a thread, with hostile arguments. The served run must
 * print what the same program prints with serving off (the kernel answering in the sandbox's pid
 * namespace), its argument errors what it prints on the host, and a host process outside the
 * sandbox, named by its host pid, must be left as it was.
 */
class PtraceProcessControlTest {

    static Path dir;
    /** A host process at the program's uid, which the program names by its host pid. */
    static Process outside;

    @BeforeAll
    static void compile() throws Exception {
        Runs.assumePlatform();
        assumeTrue(Tracer.servePaths(), "path serving is off (engine option or rootless)");
        dir = Runs.compile("proccontrol");
        List<String> cmd = asProgram("sleep", "300");
        outside = new ProcessBuilder(cmd).start();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (outside != null) {
            outside.destroy();
            outside.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** {@code command} at the sandbox program's uid and gid (when the test may change them), as a neighbour of the sandbox would run. */
    private static List<String> asProgram(String... command) {
        List<String> cmd = new java.util.ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.addAll(List.of("setpriv", "--reuid=" + PtracePlatform.DEFAULT_UID, "--regid=" + PtracePlatform.DEFAULT_GID,
                    "--clear-groups"));
        }
        cmd.addAll(List.of(command));
        return cmd;
    }

    private static Runs.Outcome inSandbox(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "/pc/proccontrol";
        System.arraycopy(args, 0, cmd, 1, args.length);
        var o = run(spec(cmd).bind(new SandboxSpec.Bind(dir, "/pc", true)).build());
        assertThat(o.result().termination()).as(o.stderr()).isEqualTo(Termination.EXITED);
        assertThat(o.status()).as(o.stderr()).isZero();
        return o;
    }

    /** What a host process shows of its affinity, nice and limits. */
    private static String hostView(long pid) throws IOException {
        String status = Files.readString(Path.of("/proc/" + pid + "/status"));
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return status.lines().filter(l -> l.startsWith("Cpus_allowed_list")).findFirst().orElseThrow()
                + " nice " + f[16] + " policy " + f[38] + "\n" + Files.readString(Path.of("/proc/" + pid + "/limits"));
    }

    @Test
    void servedAsTheKernelAnswersInTheSandboxAndTheHostProcessIsUntouched() throws IOException {
        long pid = outside.pid();
        String before = hostView(pid);
        var served = Runs.namedLines(inSandbox(Long.toString(pid)).stdout());
        var kernel = Runs.namedLines(withServingOff(() -> inSandbox(Long.toString(pid))).stdout());
        assertThat(served).isEqualTo(kernel);
        assertThat(served).hasSizeGreaterThan(150);
        // a host pid is none of the sandbox's: every call says ESRCH, and the process is as it was
        assertThat(served).containsEntry("getaffinity-outside", "ESRCH").containsEntry("setaffinity-outside", "ESRCH")
                .containsEntry("setpriority-outside", "ESRCH").containsEntry("prlimit-outside-set", "ESRCH")
                .containsEntry("setscheduler-outside", "ESRCH").containsEntry("ioprio-set-outside", "ESRCH")
                .containsEntry("setattr-outside", "ESRCH").containsEntry("pidfd-open-outside", "ESRCH")
                .containsEntry("getpgid-outside", "ESRCH");
        assertThat(hostView(pid)).isEqualTo(before);
        // the child, the thread and the caller answered, and the kernel's permission checks held
        String cpus = " count " + CpuSet.engine().length;
        assertThat(served.get("getaffinity-child")).endsWith(cpus);
        assertThat(served.get("getaffinity-thread")).endsWith(cpus);
        assertThat(served).containsEntry("setaffinity-child-one", "0").containsEntry("child-affinity-count", "1")
                .containsEntry("getscheduler-child", "3").containsEntry("getscheduler-thread", "5")
                .containsEntry("getpriority-child", "10").containsEntry("getpriority-thread", "17")
                .containsEntry("e-setpriority-child-lower", "EACCES").containsEntry("e-setscheduler-fifo", "EPERM")
                .containsEntry("e-setrlimit-nofile-raise-hard", "EPERM").containsEntry("e-prlimit-child-raise-hard", "EPERM")
                .containsEntry("e-ioprio-set-rt", "EPERM").containsEntry("e-setattr-deadline", "EPERM")
                .containsEntry("prlimit-child-fsize", "4194304").containsEntry("pidfd-open-child", "fd")
                .containsEntry("pidfd-cloexec", "1").containsEntry("pidfd-send-signal-0", "0")
                .containsEntry("affinity-matches-cpuinfo", "yes").containsEntry("affinity-matches-nproc", "yes")
                .containsEntry("getcpu-in-affinity", "yes")
                // the sandbox's first process is in a group and session led from outside its pid space: 0, as Linux says
                .containsEntry("pgrp-zero", "1").containsEntry("sid-zero", "1")
                .containsEntry("getpgid-child-is-child", "1").containsEntry("getpgid-thread-is-pgrp", "1");
    }

    @Test
    void argumentErrorsAreTheHostKernels() {
        var served = Runs.namedLines(inSandbox(Long.toString(outside.pid())).stdout());
        var host = Runs.namedLines(Runs.runNative(dir, Map.of(),
                asProgram("./proccontrol", Long.toString(outside.pid())).toArray(String[]::new)).stdout());
        Map<String, String> servedErrors = new LinkedHashMap<>(), hostErrors = new LinkedHashMap<>();
        served.forEach((k, v) -> {
            if (k.startsWith("e-")) {
                servedErrors.put(k, v);
            }
        });
        host.forEach((k, v) -> {
            if (k.startsWith("e-")) {
                hostErrors.put(k, v);
            }
        });
        assertThat(servedErrors).hasSizeGreaterThan(50).isEqualTo(hostErrors);
        assertThat(servedErrors).containsEntry("e-getaffinity-len-7", "EINVAL").containsEntry("e-getaffinity-bad-pointer", "EFAULT")
                .containsEntry("e-getattr-size-4097", "EINVAL").containsEntry("e-setattr-size-5000", "E2BIG")
                .containsEntry("e-prlimit-bad-new", "EFAULT").containsEntry("e-pidfd-open-flags", "EINVAL");
        assertThat(served).containsEntry("setattr-size-5000-written-back", host.get("setattr-size-5000-written-back"));
    }

    @Test
    void anAffinityStaysWithinTheSandboxsCpus() {
        assumeTrue(CpuSet.engine().length >= 2, "needs two CPUs");
        var o = run(spec("/pc/proccontrol", "0", "widen").bind(new SandboxSpec.Bind(dir, "/pc", true))
                .limits(Runs.TEST_LIMITS.withCpuMillicores(1000)).build());
        assertThat(o.status()).as(o.stderr()).isZero();
        // every CPU asked for; the one the sandbox has is what it gets, as nproc says
        assertThat(Runs.namedLines(o.stdout())).containsEntry("widen", "0").containsEntry("widened-count", "1");
    }
}
