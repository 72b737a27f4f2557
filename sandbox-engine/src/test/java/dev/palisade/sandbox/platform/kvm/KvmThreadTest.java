package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static dev.palisade.sandbox.platform.kvm.KvmTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Threads on KVM (each a vCPU of the process's VM): pthreads with results, a mutex and condvar
 * producer/consumer, counters under atomics and a mutex, a timed wait that times out, TLS,
 * tids, per-thread masks and a signal to one thread (blocked, or running without calls), robust
 * mutexes whose owner exits, mmap/munmap from several threads at once, fork and execve from a threaded process,
 * exit vs exit_group, python3 threading — the same output and status as natively (or on
 * ptrace) — and the hostile side: futexes on unmapped, read-only and kernel addresses, bad
 * operations and counts, requeue to an unmapped address, cyclic and unmapped robust lists, a
 * thread bomb against the limit, and
 * the CPU limit counting every thread.
 */
class KvmThreadTest {
    @TempDir
    static Path bin;
    static Path threads;
    static Path threadsStatic;
    static Path futexedge;
    static Path bomb;
    static Path fault;
    static Path many;

    @BeforeAll
    static void build() throws Exception {
        programDir(bin);
        threads = buildSource(bin, "threads.c", "gcc", "threads", "-pthread");
        threadsStatic = buildSource(bin, "threads.c", "gcc", "threads-static", "-pthread", "-static");
        futexedge = buildSource(bin, "futexedge.c", "gcc", "futexedge", "-pthread");
        bomb = buildSource(bin, "threadbomb.c", "gcc", "threadbomb", "-pthread");
        fault = buildSource(bin, "threadfault.c", "gcc", "threadfault", "-pthread");
        many = buildSource(bin, "manythreads.c", "gcc", "manythreads", "-pthread");
    }

    private static SandboxSpec spec(Path ws, Limits limits, String name, String... args) {
        List<String> cmd = new ArrayList<>(List.of("/bin-test/" + name));
        cmd.addAll(List.of(args));
        return SandboxSpec.builder(cmd).bind(new SandboxSpec.Bind(bin, "/bin-test", true)).workspace(ws).limits(limits).build();
    }

    private static SandboxSpec spec(Path ws, String name, String... args) {
        return spec(ws, Limits.DEFAULT.withWallMillis(30_000).withCpuMillis(20_000), name, args);
    }

    private static Run sameAsNative(Path ws, Path nat, String name, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(bin.resolve(name).toString()));
        cmd.addAll(List.of(args));
        Native n = runNative(nat, cmd);
        Run r = run(spec(ws, name, args));
        assertThat(r.stdout()).as(r.result().message() + "\n" + r.stderr()).isEqualTo(n.stdout());
        assertThat(r.result().exitCode()).as(r.result().message()).isEqualTo(n.exit());
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"threads", "threads-static"})
    void pthreads_mutexes_condvars_tls_and_signals_behave_as_natively(String program, @TempDir Path ws, @TempDir Path nat)
            throws Exception {
        Run r = sameAsNative(ws, nat, program);
        assertThat(r.stdout()).contains("create_join 56\n", "counters atomic=80000 mutex=80000\n", "prodcons 2001000\n",
                "timedwait ETIMEDOUT waited>=190ms:1 <2s:1\n", "tls main=7 threads=100101102\n",
                "tids main=pid:1 thread!=pid:1\n", "signals handler_on_target=1 thread_masked=1 main_masked=0\n",
                "mapping 1200\n", "spinsignal handler_on_target=1\n",
                "procsignal taken by the thread that does not block it: 1\n", "pthread_exit 9\n",
                "child of main: 42\n", "child of a thread: counter 80000\n", "forkthreads 3 4\n", "sharedfile size 24000\n",
                "forkwhilemapping 20\n", "procthreads tid listed in /proc: 0\n");
        assertThat(r.result().termination()).isEqualTo(Termination.EXITED);
        assertThat(r.result().syscallCounts()).containsKeys("clone", "futex", "tgkill", "exit");
        assertThat(r.result().syscallCounts().get("clone")).isGreaterThanOrEqualTo(25);
    }

    @Test
    void exit_group_from_a_thread_ends_every_thread(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Run r = sameAsNative(ws, nat, "threads", "exitgroup");
        assertThat(r.stdout()).isEqualTo("exit_group from a thread\n");
        assertThat(r.result().exitCode()).isEqualTo(5);
        assertThat(r.result().wallNanos()).isLessThan(10_000_000_000L);
    }

    @Test
    void a_thread_blocked_on_stdin_does_not_hold_up_exit_group(@TempDir Path ws) throws Exception {
        // stdin stays open: the thread's read blocks until the process's end stops it
        try (dev.palisade.sandbox.Sandbox s = PLATFORM.start(spec(ws, "threads", "stdinblock"))) {
            var out = dev.palisade.sandbox.TestStreams.drain(s.stdout());
            var r = s.await(java.time.Duration.ofSeconds(20)).orElseThrow();
            assertThat(r.exitCode()).as(r.message()).isEqualTo(3);
            assertThat(new String(out.get(10, java.util.concurrent.TimeUnit.SECONDS), java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo("exiting\n");
            assertThat(r.wallNanos()).isLessThan(1_500_000_000L);
        }
    }

    @Test
    void execve_ends_the_other_threads_and_runs_the_new_program(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Run r = sameAsNative(ws, nat, "threads", "execthreads");
        assertThat(r.stdout()).isEqualTo("execed\n");
        assertThat(r.result().syscallCounts()).containsKey("execve");
        assertThat(r.result().wallNanos()).isLessThan(10_000_000_000L);
    }

    @Test
    void the_first_thread_exiting_leaves_the_process_to_the_others(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Run r = sameAsNative(ws, nat, "threads", "mainexit");
        assertThat(r.stdout()).isEqualTo("exit_group from a thread\n");
        assertThat(r.result().exitCode()).isEqualTo(5);
    }

    @Test
    void a_robust_mutex_whose_owner_exits_is_handed_on_with_eownerdead(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Run r = sameAsNative(ws, nat, "threads", "robust");
        assertThat(r.stdout()).isEqualTo("robust after owner exit: EOWNERDEAD\nrobust waiter: EOWNERDEAD\n");
        assertThat(r.result().syscallCounts()).containsKeys("set_robust_list");
    }

    /** Each vCPU has its own exception stack: three threads faulting into handlers at once keep their frames apart. */
    @Test
    void threads_faulting_at_once_each_run_their_handler(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Run r = sameAsNative(ws, nat, "threadfault");
        assertThat(r.stdout()).isEqualTo("faults handled 900\n");
    }

    @Test
    void a_fault_without_a_handler_in_a_thread_ends_the_process(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Native n = runNative(nat, List.of(fault.toString(), "crash"));
        Run r = run(spec(ws, "threadfault", "crash"));
        assertThat(r.result().termination()).as(r.result().message()).isEqualTo(Termination.SIGNALED);
        assertThat(128 + r.result().signal()).isEqualTo(n.exit()).isEqualTo(139);
    }

    @Test
    void a_hundred_threads_together_and_a_thousand_in_turn(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Native n = runNative(nat, List.of(many.toString(), "100"));
        Run r = run(spec(ws, LIMITS.withMaxProcesses(200), "manythreads", "100"));
        assertThat(r.stdout()).as(r.result().message()).isEqualTo(n.stdout()).isEqualTo("100 together then 1000 in turn: 504450\n");
        assertThat(r.result().exitCode()).isZero();
        assertThat(r.result().syscallCounts().get("clone")).isEqualTo(1100L);
    }

    @Test
    void hostile_futex_calls_get_linuxs_answers(@TempDir Path ws, @TempDir Path nat) throws Exception {
        Run r = sameAsNative(ws, nat, "futexedge");
        assertThat(r.stdout()).contains("wait unmapped private: EFAULT\n", "wait kernel address: EFAULT\n",
                "wait read-only, times out: ETIMEDOUT\n", "wake read-only: EFAULT\n", "bad op 99: ENOSYS\n",
                "wake huge count, three waiters: 3\n", "cmp_requeue to unmapped: 3\n", "wake at the unmapped address: 2\n",
                "requeued waiters returned 0 0 0\n", "hostile robust list 0: set=0, thread joined\n",
                "hostile robust list 4: set=0, thread joined\n", "get_robust_list unmapped out: EFAULT\n", "done\n");
        assertThat(r.result().termination()).isEqualTo(Termination.EXITED);
    }

    @Test
    void a_thread_bomb_meets_the_task_limit_as_on_ptrace(@TempDir Path ws, @TempDir Path ws2) throws Exception {
        assumeTrue(PTRACE.unavailableReason().isEmpty(), () -> "ptrace platform unavailable: " + PTRACE.unavailableReason().orElse(""));
        Limits limits = LIMITS.withMaxProcesses(16);
        Run kvm = run(spec(ws, limits, "threadbomb", "16"));
        Run ptrace = run(PTRACE, spec(ws2, limits, "threadbomb", "16"), null);
        assertThat(kvm.stdout()).as(kvm.result().message()).isEqualTo(ptrace.stdout())
                .isEqualTo("stopped by EAGAIN, within the limit: 1\n");
        assertThat(kvm.result().exitCode()).isEqualTo(ptrace.result().exitCode()).isZero();
        assertThat(kvm.result().deniedCalls()).anySatisfy(d -> assertThat(d.detail()).contains("process limit 16"));
        assertThat(kvm.result().wallNanos()).isLessThan(20_000_000_000L);
    }

    @Test
    void the_cpu_limit_counts_every_threads_time(@TempDir Path ws) throws Exception {
        // the first thread sleeps in pthread_join: only the two spinning threads use CPU
        Run r = run(spec(ws, Limits.DEFAULT.withWallMillis(30_000).withCpuMillis(1500), "threads", "spin"));
        assertThat(r.result().termination()).as(r.result().message()).isEqualTo(Termination.CPU_LIMIT);
        assertThat(r.result().cpuNanos()).isGreaterThanOrEqualTo(1_500_000_000L);
        assertThat(r.result().wallNanos()).isLessThan(25_000_000_000L);
    }

    @Test
    void python_threading_runs_as_on_ptrace(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 not installed");
        String script = String.join("\n",
                "import threading, queue",
                "results = {}",
                "lock = threading.Lock()",
                "q = queue.Queue()",
                "def work(i):",
                "    s = sum(range(i * 10000))",
                "    with lock:",
                "        results[i] = s",
                "    q.put(i)",
                "ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]",
                "for t in ts: t.start()",
                "for t in ts: t.join()",
                "print(sorted(results.items()))",
                "print(sorted(q.get() for _ in range(4)))",
                "print('event wait timed out:', not threading.Event().wait(0.1))",
                "print('threads alive:', threading.active_count())");
        Run r = sameAsPtrace(dir, null, "/usr/bin/python3", "-c", script);
        assertThat(r.stdout()).contains("[(0, 0), (1, 49995000), (2, 199990000), (3, 449985000)]", "threads alive: 1");
        assertThat(r.result().syscallCounts()).containsKeys("clone", "futex");
    }

    @Test
    void python_thread_pools_barriers_conditions_and_timers_run_as_on_ptrace(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 not installed");
        String script = String.join("\n",
                "import threading, queue, time",
                "from concurrent.futures import ThreadPoolExecutor",
                "def sq(x): return x * x",
                "with ThreadPoolExecutor(max_workers=4) as ex:",
                "    print(sum(ex.map(sq, range(1000))))",
                "b = threading.Barrier(3)",
                "out = []",
                "def meet(i):",
                "    out.append(b.wait() >= 0)",
                "ts = [threading.Thread(target=meet, args=(i,)) for i in range(3)]",
                "[t.start() for t in ts]; [t.join() for t in ts]",
                "print(out)",
                "c = threading.Condition()",
                "with c:",
                "    t0 = time.monotonic(); r = c.wait(0.15); print(\"cond timeout\", r, time.monotonic() - t0 >= 0.14)",
                "q = queue.Queue()",
                "try:",
                "    q.get(timeout=0.1)",
                "except queue.Empty:",
                "    print(\"queue empty after timeout\")",
                "s = threading.Semaphore(2)",
                "cnt = [0]; lk = threading.Lock()",
                "def use():",
                "    with s:",
                "        with lk: cnt[0] += 1",
                "ts = [threading.Thread(target=use) for _ in range(10)]",
                "[t.start() for t in ts]; [t.join() for t in ts]",
                "print(\"semaphore\", cnt[0])",
                "tm = threading.Timer(0.05, lambda: print(\"timer fired\"))",
                "tm.start(); tm.join()",
                "local = threading.local()",
                "def setl(v, res):",
                "    local.v = v; time.sleep(0.01); res.append(local.v == v)",
                "res = []",
                "ts = [threading.Thread(target=setl, args=(i, res)) for i in range(5)]",
                "[t.start() for t in ts]; [t.join() for t in ts]",
                "print(\"local\", all(res), len(res))",
                "d = threading.Thread(target=time.sleep, args=(30,), daemon=True); d.start()",
                "print(\"exiting with a daemon thread asleep\")");
        Run r = sameAsPtrace(dir, null, "/usr/bin/python3", "-c", script);
        assertThat(r.stdout()).contains("332833500\n", "cond timeout False True\n", "semaphore 10\n", "timer fired\n",
                "local True 5\n", "exiting with a daemon thread asleep\n");
        assertThat(r.result().wallNanos()).isLessThan(20_000_000_000L);   // the daemon thread's sleep does not hold up the exit
    }

    /** The JVM the host has under /usr (visible in the sandbox's default root), or null. */
    private static Path hostJava() {
        try (var dirs = Files.list(Path.of("/usr/lib/jvm"))) {
            return dirs.map(d -> d.resolve("bin/java")).filter(Files::isExecutable).sorted().findFirst().orElse(null);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    @Test
    void a_jvm_counts_the_engines_processors_and_runs_eight_threads_as_on_ptrace(@TempDir Path ws, @TempDir Path ws2,
                                                                                @TempDir Path classes) throws Exception {
        assumeTrue(PTRACE.unavailableReason().isEmpty(), () -> "ptrace platform unavailable: " + PTRACE.unavailableReason().orElse(""));
        Path java = hostJava();
        assumeTrue(java != null, "no JVM under /usr/lib/jvm");
        javax.tools.JavaCompiler javac = javax.tools.ToolProvider.getSystemJavaCompiler();
        assumeTrue(javac != null, "no compiler in this JDK");
        Path src = classes.resolve("JvmThreads.java");
        try (var in = KvmThreadTest.class.getResourceAsStream("/kvm/JvmThreads.java")) {
            Files.copy(in, src);
        }
        assertThat(javac.run(null, null, null, "--release", "17", "-d", classes.toString(), src.toString())).isZero();
        Files.setPosixFilePermissions(classes, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> cmd = List.of(java.toString(), "-XX:-UsePerfData", "-Xmx128m", "-cp", "/classes", "JvmThreads");
        Limits limits = LIMITS.withMaxProcesses(200).withMemoryBytes(2L << 30);
        SandboxSpec.Bind bind = new SandboxSpec.Bind(classes, "/classes", true);
        Run kvm = run(SandboxSpec.builder(cmd).bind(bind).workspace(ws).limits(limits).build());
        Run ptrace = run(PTRACE, SandboxSpec.builder(cmd).bind(bind).workspace(ws2).limits(limits).build(), null);
        assertThat(kvm.stdout()).as(kvm.result().message() + "\n" + kvm.stderr()).isEqualTo(ptrace.stdout())
                .contains("processors " + Runtime.getRuntime().availableProcessors() + "\n", "total 13999992\n");
        assertThat(kvm.result().exitCode()).isEqualTo(ptrace.result().exitCode()).isZero();
        assertThat(kvm.result().syscallCounts().get("clone")).isGreaterThanOrEqualTo(8L);
    }

    /** Threads run in parallel, so the program sees the engine's CPUs, or a CPU rate's whole cores, as on ptrace. */
    @Test
    void nproc_shows_the_cpus_threads_can_use_as_on_ptrace(@TempDir Path ws, @TempDir Path ws2) throws Exception {
        assumeTrue(PTRACE.unavailableReason().isEmpty(), () -> "ptrace platform unavailable: " + PTRACE.unavailableReason().orElse(""));
        for (long millicores : new long[] {0, 1000}) {
            SandboxSpec spec = SandboxSpec.builder(List.of("/usr/bin/nproc")).workspace(ws)
                    .limits(LIMITS.withCpuMillicores(millicores)).build();
            Run kvm = run(spec);
            Run ptrace = run(PTRACE, SandboxSpec.builder(List.of("/usr/bin/nproc")).workspace(ws2)
                    .limits(LIMITS.withCpuMillicores(millicores)).build(), null);
            assertThat(kvm.stdout()).as(millicores + " millicores").isEqualTo(ptrace.stdout())
                    .isEqualTo((millicores == 0 ? Runtime.getRuntime().availableProcessors() : 1) + "\n");
        }
    }
}
