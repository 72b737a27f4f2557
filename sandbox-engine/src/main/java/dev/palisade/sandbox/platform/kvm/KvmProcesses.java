package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.SignalFrame;
import dev.palisade.sandbox.sentry.SyscallContext;
import dev.palisade.sandbox.sentry.vfs.Interruption;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The processes of one KVM sandbox: pids (the first program is 1, the sandbox's init), who is
 * whose parent, and the exit status of each ended child until its parent waits for it (a
 * zombie). A process whose parent ended is reparented to pid 1, as Linux does in a pid
 * namespace. Waiting parents sleep on this table's monitor and are woken by each exit.
 */
final class KvmProcesses {
    /** An ended child: its pid, its parent, its process group, and the wait status (exit code &lt;&lt; 8, or the signal). */
    record Ended(int pid, int ppid, int pgid, int status) {
    }

    private int nextPid = 2;
    private final Map<Integer, KvmTask> live = new HashMap<>();
    /** Which of the live ids are threads (clone with CLONE_THREAD) rather than processes. */
    private final java.util.Set<Integer> threads = new java.util.HashSet<>();
    private final Map<Integer, Integer> parentOf = new HashMap<>();
    private final List<Ended> zombies = new ArrayList<>();
    /** Calls counted by the processes that have ended, merged into the sandbox's result. */
    private final Map<String, Long> endedCounts = new HashMap<>();
    /** Calls the ended processes were refused, for the sandbox's result (bounded as the first process's own). */
    private final List<dev.palisade.sandbox.DeniedCall> endedDenied = new ArrayList<>();

    synchronized void addRoot(KvmTask root) {
        live.put(1, root);
        parentOf.put(1, 0);
    }

    /** Registers a new child of {@code parent}; its pid. */
    synchronized int add(KvmTask child, int parent) {
        int pid = nextPid++;
        live.put(pid, child);
        parentOf.put(pid, parent);
        return pid;
    }

    /** The pids of the running processes, ascending (what /proc lists; threads are not listed, as on Linux). */
    synchronized int[] pids() {
        return live.keySet().stream().filter(pid -> !threads.contains(pid)).mapToInt(Integer::intValue).sorted().toArray();
    }

    /** The running process with this pid (or a thread of one with this tid, as /proc/<tid> finds it), or null. */
    synchronized KvmTask task(int pid) {
        return live.get(pid);
    }

    /** Processes and threads: the tasks the process limit counts, as Linux's RLIMIT_NPROC counts threads. */
    synchronized int count() {
        return live.size();
    }

    /** Registers a new thread (of a process already registered) in the same id space; its tid. Threads are nobody's children. */
    synchronized int addThread(KvmTask thread) {
        int tid = nextPid++;
        live.put(tid, thread);
        threads.add(tid);
        return tid;
    }

    /** A thread ended: its counts and refused calls join the sandbox's; nobody waits for it. */
    synchronized void threadEnded(int tid, Map<String, Long> counts, List<dev.palisade.sandbox.DeniedCall> denied) {
        live.remove(tid);
        threads.remove(tid);
        counts.forEach((k, v) -> endedCounts.merge(k, v, Long::sum));
        for (var d : denied) {
            if (endedDenied.size() < KvmTask.MAX_DENIED) {
                endedDenied.add(d);
            }
        }
        notifyAll();
    }

    synchronized int parentOf(int pid) {
        return parentOf.getOrDefault(pid, 1);
    }

    /**
     * Records that {@code pid} ended with {@code status}; its children go to pid 1. Its parent
     * gets SIGCHLD here, under this table's monitor, so that a parent woken from its wait and its
     * SIGCHLD handler both find the zombie; a parent that ignores SIGCHLD (or set SA_NOCLDWAIT)
     * gets no zombie, as Linux reaps such a child at once.
     */
    synchronized void ended(int pid, int status, Map<String, Long> counts) {
        ended(pid, status, counts, true);
    }

    /** Like {@link #ended(int, int, Map)}; {@code existed} false: the fork failed and nobody was told the pid. */
    synchronized void ended(int pid, int status, Map<String, Long> counts, boolean existed) {
        KvmTask self = live.remove(pid);
        if (!existed) {
            parentOf.remove(pid);
            counts.forEach((k, v) -> endedCounts.merge(k, v, Long::sum));
            notifyAll();
            return;
        }
        int ppid = parentOf.getOrDefault(pid, 1);
        parentOf.replaceAll((child, parent) -> parent == pid ? 1 : parent);
        for (int i = 0; i < zombies.size(); i++) {
            Ended z = zombies.get(i);
            if (z.ppid() == pid) {
                zombies.set(i, new Ended(z.pid(), 1, z.pgid(), z.status()));
            }
        }
        KvmTask parent = live.get(ppid);
        boolean reapsItself = pid != 1 && parent != null && parent.proc != null
                && SignalFrame.childEnded(parent.proc, parent.leaderMask(), pid, status);
        if (pid != 1 && !reapsItself) {
            int pgid = self != null && self.proc != null ? self.proc.pgid() : pid;
            zombies.add(new Ended(pid, ppid, pgid, status));
        } else if (reapsItself) {
            parentOf.remove(pid);
        }
        counts.forEach((k, v) -> endedCounts.merge(k, v, Long::sum));
        notifyAll();
    }

    /**
     * Waits (on this monitor, woken by every exit) until a child of {@code parent} matching
     * {@code idtype} and {@code id} (as waitid: P_ALL, P_PID, P_PGID) has ended and reaps it
     * (unless {@code reap} is false): {pid, status}; {0, 0} with {@code noHang} when none has;
     * {-ECHILD} when no such child exists; {-ERESTARTSYS} when a signal for the calling thread or
     * the sandbox's end interrupted the wait.
     */
    synchronized long[] await(int parent, int idtype, int id, boolean noHang, boolean reap, Interruption interruption)
            throws InterruptedException {
        while (true) {
            for (Iterator<Ended> it = zombies.iterator(); it.hasNext(); ) {
                Ended z = it.next();
                if (z.ppid() == parent && matches(idtype, id, z.pid(), z.pgid())) {
                    if (reap) {
                        it.remove();
                        parentOf.remove(z.pid());
                    }
                    return new long[] {z.pid(), z.status()};
                }
            }
            boolean any = parentOf.entrySet().stream().anyMatch(e -> {
                KvmTask t = e.getValue() == parent ? live.get(e.getKey()) : null;
                return t != null && matches(idtype, id, e.getKey(), t.proc == null ? 0 : t.proc.pgid());
            });
            if (!any) {
                return new long[] {Errno.ECHILD.negated()};
            }
            if (noHang) {
                return new long[] {0, 0};
            }
            if (!interruption.await(this, 20)) {   // woken at once by an exit or a signal; the timeout only looks at the sandbox ending
                return new long[] {Errno.ERESTARTSYS.negated()};
            }
        }
    }

    /** Whether a zombie is {@code pid} (&gt; 0), in group {@code pgid} (&gt; 0), or any (pid -1). */
    synchronized boolean zombie(int pid, int pgid) {
        return zombies.stream().anyMatch(z -> pid == -1 || z.pid() == pid || z.pgid() == pgid);
    }

    private static boolean matches(int idtype, int id, int pid, int pgid) {
        return switch (idtype) {
            case SyscallContext.P_PID -> pid == id;
            case SyscallContext.P_PGID -> pgid == id;
            default -> true;
        };
    }

    /** The processes still running other than pid 1, to stop when the sandbox ends. */
    synchronized List<KvmTask> others() {
        List<KvmTask> l = new ArrayList<>();
        live.forEach((pid, t) -> {
            if (pid != 1) {
                l.add(t);
            }
        });
        return l;
    }

    /** Waits up to {@code millis} for every process but pid 1 to end. */
    synchronized void awaitOthers(long millis) throws InterruptedException {
        long until = System.nanoTime() + millis * 1_000_000L;
        while (live.keySet().stream().anyMatch(pid -> pid != 1) && System.nanoTime() < until) {
            wait(Math.max(1, (until - System.nanoTime()) / 1_000_000L));
        }
    }

    synchronized Map<String, Long> endedCounts() {
        return new HashMap<>(endedCounts);
    }

    synchronized void addDenied(List<dev.palisade.sandbox.DeniedCall> denied) {
        for (var d : denied) {
            if (endedDenied.size() < KvmTask.MAX_DENIED) {
                endedDenied.add(d);
            }
        }
    }

    synchronized List<dev.palisade.sandbox.DeniedCall> endedDenied() {
        return new ArrayList<>(endedDenied);
    }
}
