package dev.palisade.sandbox.platform.kvm;

import java.util.concurrent.CompletableFuture;

/**
 * vCPU threads, with one machine built ahead of time. Creating a VM, its memory slot, vCPU,
 * CPUID, registers, page tables and stack takes a millisecond or two, so when a sandbox ends its
 * vCPU thread tears the old VM down and builds the next one while nothing waits; the next
 * sandbox only hands it its program. A VM belongs to the thread that created it: the thread
 * that built a machine is the one that runs it. When no standby is ready (sandboxes started
 * back to back or side by side), a sandbox with a memory limit above the standby's size, or
 * while tests override the probe's choice, a sandbox gets a fresh thread that builds its own.
 */
final class VcpuThreads {
    /** Guest memory of a standby machine; the sandbox's own limit is applied at hand-off. */
    static final long STANDBY_MEMORY = 4L << 30;

    private VcpuThreads() {
    }

    private record Standby(SyscallPath path, Thread thread, CompletableFuture<KvmTask> task) {
    }

    private static Standby standby;

    /** Starts {@code task} on a vCPU thread and returns that thread. */
    static Thread start(KvmTask task, long memoryBytes) {
        SyscallPath path = SyscallPathProbe.chosen();
        Standby s;
        synchronized (VcpuThreads.class) {
            s = standby;
            standby = null;
        }
        if (s != null && s.path() == path && memoryBytes <= STANDBY_MEMORY && SyscallPathProbe.override == null) {
            s.task().complete(task);
            return s.thread();
        }
        if (s != null) {
            s.task().complete(null);
        }
        Thread t = new Thread(() -> {
            task.run(null);
            serve(path);
        }, "palisade-kvm-vcpu");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Makes the calling thread a standby: builds machines and runs the tasks handed to it. */
    private static void serve(SyscallPath path) {
        while (path != null && SyscallPathProbe.override == null) {
            synchronized (VcpuThreads.class) {
                if (standby != null) {
                    return;   // one standby is enough
                }
            }
            GuestMachine m;
            try {
                m = new GuestMachine(path, STANDBY_MEMORY);
                KvmTask.KvmStartup.mapStack(m.memory);
            } catch (RuntimeException e) {
                return;
            }
            CompletableFuture<KvmTask> next = new CompletableFuture<>();
            synchronized (VcpuThreads.class) {
                if (standby != null) {
                    m.close();
                    return;
                }
                standby = new Standby(path, Thread.currentThread(), next);
            }
            KvmTask t;
            try {
                t = next.get();
            } catch (Exception e) {
                t = null;
            }
            if (t == null) {
                m.close();
                return;
            }
            t.run(m);
        }
    }
}
