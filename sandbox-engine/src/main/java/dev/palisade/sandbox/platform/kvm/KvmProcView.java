package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.nativeinterop.Posix;
import dev.palisade.sandbox.sentry.VirtualProcess;
import dev.palisade.sandbox.sentry.vfs.OpenFile;
import dev.palisade.sandbox.sentry.vfs.ProcFs;
import dev.palisade.sandbox.sentry.vfs.VirtualFs;

import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.List;

/**
 * What the Sentry's {@code /proc} shows of a KVM sandbox: its own processes
 * ({@link KvmProcesses}, pids from 1), never the host's, and its limits.
 */
final class KvmProcView implements ProcFs.Source {
    /** The CPU whose cpuinfo a sandbox shows: each process runs on one vCPU, as sched_getaffinity says. */
    private static final int[] CPUS = {Posix.allowedCpus((int) ProcessHandle.current().pid())[0]};

    private final KvmSandbox sandbox;
    /** The sandbox's first program: its spec and filesystem. */
    private final KvmLaunch launch;

    KvmProcView(KvmSandbox sandbox, KvmLaunch launch) {
        this.sandbox = sandbox;
        this.launch = launch;
    }

    @Override
    public int[] pids() {
        return sandbox.processes.pids();
    }

    @Override
    public ProcFs.Process process(int pid) {
        KvmTask t = sandbox.processes.task(pid);
        return t == null || t.proc == null ? null : new Task(t);
    }

    @Override
    public long memoryBytes() {
        return KvmTask.memoryBytes(launch);
    }

    @Override
    public int[] cpus() {
        return CPUS.clone();
    }

    @Override
    public long uptimeNanos() {
        return System.nanoTime() - sandbox.startNanos;
    }

    @Override
    public Limits limits() {
        return launch.spec().limits();
    }

    @Override
    public List<VirtualFs.Mount> mounts() {
        return launch.fs().mounts();
    }

    /** One process, read when a /proc file of it is opened. */
    private record Task(KvmTask t) implements ProcFs.Process {
        @Override
        public int pid() {
            return t.pid;
        }

        @Override
        public int ppid() {
            return t.ppid();
        }

        @Override
        public int pgid() {
            return t.proc.pgid();
        }

        @Override
        public int sid() {
            return t.proc.sid();
        }

        @Override
        public String exe() {
            return t.proc.execPath();
        }

        @Override
        public String cwd() {
            return t.proc.cwd();
        }

        @Override
        public List<String> argv() {
            return t.launch.argv();
        }

        @Override
        public List<String> environ() {
            return t.launch.envp();
        }

        @Override
        public OpenFile fd(int fd) {
            return fd >= 0 && fd < VirtualProcess.MAX_FDS ? t.proc.fds[fd] : null;
        }

        @Override
        public int[] fds() {
            OpenFile[] fds = t.proc.fds;
            List<Integer> open = new ArrayList<>();
            for (int i = 0; i < fds.length; i++) {
                if (fds[i] != null) {
                    open.add(i);
                }
            }
            return open.stream().mapToInt(Integer::intValue).toArray();
        }

        @Override
        public List<ProcFs.Region> maps() {
            // another process's vCPU thread may change its map while this one reads it: read again, as a reader of Linux's maps may see a moving target
            for (int attempt = 0; attempt < 3; attempt++) {
                try {
                    return t.proc.regions();
                } catch (ConcurrentModificationException | java.util.NoSuchElementException | NullPointerException e) {
                    Thread.onSpinWait();
                }
            }
            return List.of();
        }

        @Override
        public long rssBytes() {
            GuestMachine m = t.machine;
            return m == null ? 0 : m.memory.userBytes();
        }

        @Override
        public long peakRssBytes() {
            GuestMachine m = t.machine;
            return m == null ? 0 : m.memory.peakUserBytes();
        }

        @Override
        public int threads() {
            return t.threadCount();
        }

        @Override
        public String comm() {
            return t.proc.comm();
        }

        @Override
        public long[] rlimit(int res) {
            return t.proc.rlimit(t.launch.spec().limits(), res);
        }

        @Override
        public int umask() {
            return t.proc.umask();
        }

        @Override
        public long[] signals() {
            return t.proc.signalSets(t.thread().sigmask());
        }
    }
}
