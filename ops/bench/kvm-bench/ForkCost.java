package dev.palisade.sandbox.platform.kvm;

import java.util.Arrays;

/**
 * The parts of a fork on this host, run by ops/bench/kvm-bench.sh: building a new VM, copying N
 * pages into it (what the platform does), and write-protecting N pages of the parent (the first
 * step copy-on-write inside one VM would take at every fork). In the engine's package for its
 * package-private machine classes. Argument: N.
 */
public class ForkCost {
    public static void main(String[] a) {
        SyscallPath path = SyscallPathProbe.chosen();
        int pages = Integer.parseInt(a[0]);
        int reps = 15;
        double[] vm = new double[reps], copy = new double[reps], wp = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            GuestMachine parent = new GuestMachine(path, 512L << 20);
            long t1 = System.nanoTime();
            parent.memory.map(0x10000000L, pages * 4096L, 3);
            for (int i = 0; i < pages; i++) parent.memory.writeLong(0x10000000L + i * 4096L, i);
            GuestMachine child = new GuestMachine(path, 512L << 20);
            long t2 = System.nanoTime();
            child.memory.copyFrom(parent.memory);
            long t3 = System.nanoTime();
            parent.memory.protect(0x10000000L, pages * 4096L, 1);
            long t4 = System.nanoTime();
            vm[r] = (t1 - t0) / 1e6;
            copy[r] = (t3 - t2) / 1e6;
            wp[r] = (t4 - t3) / 1e6;
            child.close();
            parent.close();
        }
        Arrays.sort(vm); Arrays.sort(copy); Arrays.sort(wp);
        System.out.printf("pages=%d new VM %.2f ms, copy %.2f ms, write-protect (COW's first step) %.2f ms (medians of %d)%n",
                pages, vm[reps / 2], copy[reps / 2], wp[reps / 2], reps);
    }
}
