package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.DeniedCall;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.palisade.sandbox.platform.ptrace.Runs.run;
import static dev.palisade.sandbox.platform.ptrace.Runs.spec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code execve} and {@code execveat} served by the Sentry (ExecServing, SysPath.exec): what a
 * program sees is what it sees natively, and what it runs is the file the Sentry chose.
 */
class PtraceExecTest {

    static Path programs;

    @BeforeAll
    static void compile() throws Exception {
        Runs.assumePlatform();
        assertThat(Tracer.servePaths()).as("path serving (the engine's default) is on").isTrue();
        programs = Runs.compile("exec");
    }

    private static SandboxSpec.Builder in(String... command) {
        return spec(command).bind(new SandboxSpec.Bind(programs, "/exe", true));
    }

    /**
     * Programs, scripts (with an argument, through env, nested), symlinks, relative paths from a
     * working directory, {@code ..} and {@code /proc/self/root}, execveat relative to a directory,
     * fexecve and O_PATH descriptors, /proc/self/exe, and the errnos (ENOENT, EACCES, ENOTDIR,
     * ELOOP, ENOEXEC, EFAULT, ENAMETOOLONG, EINVAL, EBADF): the same lines as natively.
     */
    @Test
    void execsAndTheirErrorsAreAsNative(@TempDir Path host) throws Exception {
        Files.setPosixFilePermissions(host, PosixFilePermissions.fromString("rwxr-xr-x"));
        Runs.Outcome natively = Runs.runNative(host, Map.of(), programs.resolve("exec_cases").toString(), host.toString());
        assertThat(natively.status()).as(natively.stderr()).isZero();
        String expected = natively.stdout().replace(host.toString(), "/tmp/d");
        assertThat(expected).contains("script: $0=/tmp/d/script $#=2 $1=one $2=two words CASE_ENV=yes")
                .contains("ENOTDIR: ENOTDIR").contains("proc self exe: self ran with 3 arguments");

        var o = run(in("/bin/sh", "-c", "mkdir /tmp/d && exec /exe/exec_cases /tmp/d").build());
        assertThat(o.stdout()).isEqualTo(expected);
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
        assertThat(o.result().deniedCalls()).isEmpty();
        assertThat(o.result().syscallCounts()).as("the execs were served").containsKeys("execve", "execveat");
    }

    /**
     * The attacking thread is stopped before the Sentry installs the descriptor and writes the
     * empty path, so it never reaches either: no exec is taken for an attack (the exec event's
     * check, which would end the sandbox, never fires) and the other program never runs.
     */
    private static void neverRanTheOther(Runs.Outcome o) {
        assertThat(o.stdout()).doesNotContain("OTHER RAN").contains(" b 0 ");
        assertThat(o.result().termination()).as(o.result().message()).isEqualTo(Termination.EXITED);
        assertThat(o.result().deniedCalls()).extracting(DeniedCall::action).doesNotContain("kill");
    }

    /**
     * A second thread puts another program on every close-on-exec descriptor while the first
     * execs: it is stopped before the Sentry installs the program's file, so it never sees that
     * descriptor.
     */
    @Test
    void aDescriptorSwappedBeforeTheExecNeverRunsItsFile() {
        neverRanTheOther(run(in("/exe/exec_attack", "fdswap", "/exe", "200").build()));
    }

    /**
     * A second thread writes another path over the stack below the executing thread's, where the
     * empty path is: it is stopped before the tracer writes it. (Its writes may still hit the
     * executing thread's own frames before that, as natively, which can crash that child.)
     */
    @Test
    void anEmptyPathOverwrittenBeforeTheExecNeverRunsItsFile() {
        neverRanTheOther(run(in("/exe/exec_attack", "nulspray", "/exe", "200").build()));
    }

    /**
     * A thread polls the descriptor number the exec's file is installed at while 300 execs of a
     * file that is no program fail (ENOEXEC, after the Sentry chose and installed it): the
     * thread is stopped from before the install to after the close, so it never finds it open,
     * as natively, where no descriptor exists at all.
     */
    @Test
    void theOtherThreadsAreStoppedWhileAnExecIsDecided() {
        Runs.Outcome natively = Runs.runNative(programs, Map.of(), programs.resolve("exec_attack").toString(), "frozen", "300");
        assertThat(natively.stdout()).isEqualTo("enoexec 300 seen 0\n");
        var o = run(in("/exe/exec_attack", "frozen", "300").build());
        assertThat(o.stdout()).isEqualTo(natively.stdout());
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
    }

    /**
     * A thread blocked in read() on a pipe during each of 20 failing execs (a handler without
     * SA_RESTART installed): its read is interrupted by the stop, no signal involved, and
     * restarted when it is released, so it gets every byte written after the exec, no EINTR.
     */
    @Test
    void aThreadBlockedInReadDuringAFailingExecGetsItsData() {
        Runs.Outcome natively = Runs.runNative(programs, Map.of(), programs.resolve("exec_attack").toString(), "blockedread", "20");
        assertThat(natively.stdout()).isEqualTo("enoexec 20 read 20 eintr 0\n");
        var o = run(in("/exe/exec_attack", "blockedread", "20").build());
        assertThat(o.stdout()).isEqualTo(natively.stdout());
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
    }

    /**
     * A thread waits in a served {@code flock} (handed off: it stops only when the call ends) for
     * a lock the parent holds while its process execs: the exec goes on after the bounded wait
     * ({@code ExecServing.STOP_WAIT_NANOS}) and runs its program, as natively.
     */
    @Test
    void anExecWithAThreadInAServedWaitGoesOnAfterTheBound() {
        Runs.Outcome natively = Runs.runNative(programs, Map.of(), programs.resolve("exec_attack").toString(), "lockwait",
                programs.toString(), "5");
        assertThat(natively.stdout()).isEqualTo("a 5 b 0 failed 0\n");
        var o = run(in("/exe/exec_attack", "lockwait", "/exe", "5").build());
        assertThat(o.stdout()).isEqualTo(natively.stdout());
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
        assertThat(o.result().syscallCounts()).as("the flock was served").containsKey("flock");
    }

    /**
     * Two threads of a process exec at once: the one met second is held with the others and run
     * again when released, so once the first's exec succeeds it is gone, as natively the loser is.
     */
    @Test
    void twoThreadsExecingAtOnceRunTheProgram() {
        Runs.Outcome natively = Runs.runNative(programs, Map.of(), programs.resolve("exec_attack").toString(), "twoexecs",
                programs.toString(), "100");
        assertThat(natively.stdout()).isEqualTo("a 100 b 0 failed 0\n");
        var o = run(in("/exe/exec_attack", "twoexecs", "/exe", "100").build());
        assertThat(o.stdout()).isEqualTo(natively.stdout());
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
    }

    /** Execs that succeed with eight threads spinning: they are stopped, then gone with the old image; the new one runs. */
    @Test
    void anExecWithEightBusyThreadsRunsItsProgram() {
        Runs.Outcome natively = Runs.runNative(programs, Map.of(), programs.resolve("exec_attack").toString(), "busy",
                programs.toString(), "30");
        assertThat(natively.stdout()).isEqualTo("a 30 b 0 failed 0\n");
        var o = run(in("/exe/exec_attack", "busy", "/exe", "30").build());
        assertThat(o.stdout()).isEqualTo(natively.stdout());
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
    }

    private static final Pattern COUNTS = Pattern.compile("a (\\d+) b (\\d+) failed (\\d+)(.*)\n");

    /**
     * A symlink flipped between a program and {@code /proc/<pid>/exe} of another process running
     * another program: natively both run; in the sandbox the Sentry resolves the link once and
     * refuses the magic link (ELOOP), so only the first ever runs.
     */
    @Test
    void aSymlinkSwappedBetweenCheckAndUseRunsOnlyWhatTheSentryResolved() {
        Runs.Outcome natively = Runs.runNative(programs, Map.of(), programs.resolve("exec_attack").toString(), "symflip",
                programs.toString(), "200");
        Matcher n = COUNTS.matcher(natively.stdout());
        assertThat(n.find()).as(natively.stdout()).isTrue();
        assertThat(Integer.parseInt(n.group(2))).as("the other program natively").isPositive();

        var o = run(in("/exe/exec_attack", "symflip", "/exe", "200").build());
        Matcher m = COUNTS.matcher(o.stdout());
        assertThat(m.find()).as(o.stdout()).isTrue();
        assertThat(Integer.parseInt(m.group(1))).as("the program").isPositive();
        assertThat(m.group(2)).as("the other program").isEqualTo("0");
        assertThat(m.group(4)).as("why the others failed").isIn("", " ELOOP");
        assertThat(o.stdout()).doesNotContain("OTHER RAN");
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
    }

    /**
     * Signals while an exec is served: a timer every 100 us whose handler writes 4 KiB of stack,
     * where the tracer keeps the exec's empty path between the Sentry's answer and the kernel's
     * read. Every exec still runs its program, as natively, and none is taken for an attack.
     */
    @Test
    void execsUnderASignalStormAllRun() {
        Runs.Outcome natively = Runs.runNative(programs, Map.of(), programs.resolve("exec_attack").toString(), "signals",
                programs.toString(), "300");
        assertThat(natively.stdout()).isEqualTo("a 300 b 0 failed 0\n");
        var o = run(in("/exe/exec_attack", "signals", "/exe", "300").build());
        assertThat(o.stdout()).isEqualTo(natively.stdout());
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
    }

    /**
     * Another process's {@code /proc/<pid>/exe}: natively it runs that process's program; in the
     * sandbox the magic link is refused (ELOOP). The sandbox's init is not dumpable: its entry
     * is closed to the program before any link (EACCES, as for any process of another identity).
     */
    @Test
    void anotherProcessesExeIsNotRun() {
        var o = run(in("/bin/sh", "-c", "/exe/exec_b --sleep & sleep 0.2; /exe/exec_attack path /proc/$!/exe; "
                + "/exe/exec_attack path /proc/1/exe; kill $!").build());
        assertThat(o.stdout()).isEqualTo("ELOOP\nEACCES\n");
    }

    /**
     * A file outside the sandbox's tree: through a symlink in a bound host directory that points
     * at the host's path of it, and through {@code ..} past the root. Natively it runs; in the
     * sandbox both resolve inside the sandbox's root, where nothing is there.
     */
    @Test
    void aFileOutsideTheTreeIsNotReachedThroughABindOrDotDot(@TempDir Path outside, @TempDir Path bound) throws Exception {
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path other = Files.copy(programs.resolve("exec_b"), outside.resolve("exec_b"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.createSymbolicLink(bound.resolve("escape"), other);
        String attack = programs.resolve("exec_attack").toString();
        assertThat(Runs.runNative(bound, Map.of(), attack, "path", bound.resolve("escape").toString()).stdout())
                .isEqualTo("OTHER RAN\n");

        var o = run(in("/bin/sh", "-c", "/exe/exec_attack path /b/escape; /exe/exec_attack path /../../.." + other)
                .bind(new SandboxSpec.Bind(bound, "/b", true)).build());
        assertThat(o.stdout()).isEqualTo("ENOENT\nENOENT\n");
        assertThat(o.result().termination()).isEqualTo(Termination.EXITED);
    }
}
