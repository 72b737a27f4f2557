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

    /**
     * At most this many idle machines wait. Two would keep back-to-back starts on a ready machine,
     * but measured slower: every VM of the process hooks its memory notifier, so idle VMs tax each
     * host mmap change of the JVM (start-up median 12-13 ms against 8 ms with one, same load).
     */
    private static final int MAX_STANDBYS = 1;
    private static final java.util.ArrayDeque<Standby> STANDBYS = new java.util.ArrayDeque<>();
    /** The executable of the last sandbox started: standbys load it ahead, as the next one often runs it again. */
    private static volatile ElfImage lastElf;

    /** Starts {@code task} on a vCPU thread and returns that thread. */
    static Thread start(KvmTask task, long memoryBytes) {
        SyscallPath path = SyscallPathProbe.chosen();
        lastElf = task.launch.elf();
        Standby s = null;
        synchronized (VcpuThreads.class) {
            if (memoryBytes <= STANDBY_MEMORY && SyscallPathProbe.override == null) {
                while (!STANDBYS.isEmpty() && s == null) {
                    Standby c = STANDBYS.pollFirst();
                    if (c.path() == path) {
                        s = c;
                    } else {
                        c.task().complete(null);
                    }
                }
            }
        }
        if (s != null) {
            s.task().complete(task);
            return s.thread();
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
                if (STANDBYS.size() >= MAX_STANDBYS) {
                    return;   // enough machines wait already
                }
            }
            GuestMachine m;
            ElfImage elf = lastElf;
            ElfImage.Loaded loaded = null;
            try {
                m = new GuestMachine(path, STANDBY_MEMORY);
                KvmTask.KvmStartup.mapStack(m.memory);
                if (elf != null) {
                    loaded = elf.load(m.memory);
                }
            } catch (RuntimeException e) {
                return;
            }
            CompletableFuture<KvmTask> next = new CompletableFuture<>();
            synchronized (VcpuThreads.class) {
                if (STANDBYS.size() >= MAX_STANDBYS) {
                    m.close();
                    return;
                }
                STANDBYS.addLast(new Standby(path, Thread.currentThread(), next));
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
            t.run(m, elf, loaded);
        }
    }
}
