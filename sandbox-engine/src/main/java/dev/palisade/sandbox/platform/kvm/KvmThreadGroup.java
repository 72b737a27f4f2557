package dev.palisade.sandbox.platform.kvm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The threads of one KVM process: each a {@link KvmTask} with a vCPU of the process's VM and a
 * host thread of its own, sharing the {@code VirtualProcess} (and so the descriptors, memory map,
 * dispositions and futex queues). The first task, the leader, reports the process's end, once
 * every thread is gone: the process ends when a thread ends it (exit_group, a fatal signal, a
 * limit), or with the last thread's exit(2).
 */
final class KvmThreadGroup {
    final KvmTask leader;
    private final Map<Integer, KvmTask> live = new LinkedHashMap<>();

    KvmThreadGroup(KvmTask leader) {
        this.leader = leader;
    }

    synchronized void add(int tid, KvmTask t) {
        live.put(tid, t);
    }

    synchronized int size() {
        return live.size();
    }

    synchronized KvmTask byTid(int tid) {
        return live.get(tid);
    }

    /** {@code t} leaves (its exit, or it ended); true when it was the last thread of the process. */
    synchronized boolean leave(int tid) {
        boolean was = live.remove(tid) != null;
        notifyAll();
        return was && live.isEmpty();
    }

    /** The other threads still running, to stop them. */
    synchronized List<KvmTask> othersThan(KvmTask t) {
        List<KvmTask> l = new ArrayList<>();
        for (KvmTask o : live.values()) {
            if (o != t) {
                l.add(o);
            }
        }
        return l;
    }

    /** Waits up to {@code millis} (forever when negative) until no thread but {@code self} is left; whether none is. */
    synchronized boolean awaitOthers(KvmTask self, long millis) throws InterruptedException {
        long until = System.nanoTime() + millis * 1_000_000L;
        while (live.values().stream().anyMatch(o -> o != self)) {
            long left = millis < 0 ? 20 : (until - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return false;
            }
            wait(Math.min(left, 20));   // woken by each leave; the slice lets the caller's loop look at the sandbox
            if (millis < 0) {
                return live.values().stream().noneMatch(o -> o != self);
            }
        }
        return true;
    }
}
