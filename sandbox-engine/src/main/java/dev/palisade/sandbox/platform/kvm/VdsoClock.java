package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.nativeinterop.HostMemory;
import dev.palisade.sandbox.nativeinterop.HostTsc;
import dev.palisade.sandbox.nativeinterop.VcpuExit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static dev.palisade.sandbox.nativeinterop.KvmIoctls.REG_RDI;
import static dev.palisade.sandbox.platform.kvm.GuestLayout.PAGE;

/**
 * The vDSO every KVM program gets ({@code AT_SYSINFO_EHDR}) and the clock page ("vvar") its
 * functions read, so that {@code clock_gettime}, {@code gettimeofday} and {@code time} cost no
 * VM exit.
 *
 * <p><b>How the guest tells the time.</b> On kvm_pvm a ring-3 {@code rdtsc} in the guest runs
 * natively (about 10 ns, no exit) and returns the host's own counter; {@link #start} checks that
 * with a small VM (the guest's reading must fall between two host readings) and otherwise leaves
 * the page in mode 0, where every vDSO call is the real syscall. The page holds a base — the
 * host's CLOCK_MONOTONIC at a TSC value — the TSC→ns rate and the REALTIME−MONOTONIC offset;
 * the guest computes {@code base + (tsc − tsc_base) · mult >> 32} under a sequence count. A page
 * refreshed by a host thread without the TSC would have needed a refresh every microsecond for
 * the same resolution.
 *
 * <p><b>Keeping it right.</b> One page for the whole engine, registered as a second memory slot
 * in every VM (one write updates every sandbox at once, so two processes never see two
 * versions). A daemon thread re-anchors it every {@link #PERIOD_MS} ms against
 * {@link System#nanoTime} (CLOCK_MONOTONIC, what the Sentry's own clock_gettime answers): the
 * rate is aimed 20 ppm slow, so the guest's clock trails the host's by at most a microsecond or
 * so and is pulled forward at each update; if it is ever ahead, the base stays where the guest
 * already is and the rate is lowered until the host catches up. Monotonic across an update: the
 * writer makes the count odd, then reads the TSC (after a fence) and anchors the new base at or
 * above what the old values give at that TSC; a reader that used the old values read its TSC
 * before the count went odd, so any later reading with the new values is not smaller.
 *
 * <p><b>The image</b> is built from {@code src/main/vdso} (C and a linker script) with gcc by
 * {@code build.sh} and committed as a resource, so nothing but the JDK is needed at run time;
 * {@code VdsoImageTest} rebuilds it and checks the bytes. A C source that gcc compiles is easier
 * to read and change than hand-encoded x86-64 and hand-built ELF tables in Java.
 */
final class VdsoClock {
    private VdsoClock() {
    }

    /** Offsets in the vvar page; vdso.c's struct vvar. */
    /** A change of the REALTIME−MONOTONIC offset this large is the host's clock being set, not measuring jitter. */
    private static final long REALTIME_STEP_NS = 1_000_000;
    static final int OFF_SEQ = 0, OFF_MODE = 4, OFF_TSC_BASE = 8, OFF_MONO_BASE = 16, OFF_MULT = 24, OFF_REAL_OFFSET = 32;
    static final long PERIOD_MS = 20;
    /** The rate is aimed this much slow, so that corrections are forward jumps. */
    private static final double SLOW = 20e-6;
    /** At most this much slower when the guest is ahead. */
    private static final double MAX_SLEW = 1e-3;

    private static final class Holder {
        static final HostMemory PAGE_MEMORY = HostMemory.anonymous(PAGE);
        static final byte[] IMAGE = loadImage();
    }

    private static volatile boolean started;
    private static volatile String status = "not started";

    // the updater's state (touched under the class lock only)
    private static long t0, m0;
    private static double nsPerTick;
    private static long tscBase, monoBase, mult;

    /** The page every VM maps at {@link GuestLayout#VVAR_VA}, read-only to the guest. */
    static HostMemory page() {
        return Holder.PAGE_MEMORY;
    }

    /** The vDSO ELF image (one read+exec PT_LOAD whose file bytes are the image). */
    static byte[] image() {
        return Holder.IMAGE;
    }

    /** Whether the guest reads the clock from the page (false: every vDSO call is the syscall), and why. */
    static String status() {
        return status;
    }

    static boolean servedInGuest() {
        return page().getInt(OFF_MODE) == 1;
    }

    private static byte[] loadImage() {
        try (InputStream in = VdsoClock.class.getResourceAsStream("vdso.so")) {
            if (in == null) {
                throw new IllegalStateException("vdso.so is missing from the engine's resources");
            }
            byte[] b = in.readAllBytes();
            if (b.length > GuestLayout.VDSO_SIZE) {
                throw new IllegalStateException("vdso.so is larger than its " + GuestLayout.VDSO_SIZE + "-byte area");
            }
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Maps the vDSO into a fresh address space (a private copy, read+exec, as Linux's); returns its address. */
    static long map(GuestMemory mem) {
        byte[] img = image();
        mem.map(GuestLayout.VDSO_VA, GuestLayout.VDSO_SIZE, GuestMemory.PROT_READ | GuestMemory.PROT_EXEC);
        mem.writeInitial(GuestLayout.VDSO_VA, img, 0, img.length);
        mem.markSpecial(GuestLayout.VDSO_VA, GuestLayout.VDSO_SIZE);
        return GuestLayout.VDSO_VA;
    }

    /**
     * Once per JVM: checks that a guest's rdtsc is the host's, calibrates the rate and starts the
     * updater. Until then (or if the check fails) the page says mode 0 and the vDSO makes syscalls.
     */
    static void start() {
        if (started) {
            return;
        }
        synchronized (VdsoClock.class) {
            if (started) {
                return;
            }
            started = true;
            try {
                String why = guestTscIsHosts();
                if (why != null) {
                    status = "syscalls: " + why;
                    return;
                }
                calibrate();
                update();
                ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "palisade-kvm-vdso-clock");
                    t.setDaemon(true);
                    return t;
                });
                timer.scheduleAtFixedRate(VdsoClock::updateQuietly, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
                status = "served in the guest from the TSC";
            } catch (RuntimeException e) {
                page().putInt(OFF_MODE, 0);
                status = "syscalls: " + e;
            }
        }
    }

    /**
     * Runs {@code lfence; rdtsc; syscall} in a small VM between two host readings: null when
     * every guest reading falls between them (the guest's TSC is the host's), else why not.
     */
    private static String guestTscIsHosts() {
        SyscallPath path = SyscallPathProbe.chosen();
        if (path == null) {
            return "no system call path";
        }
        // 1: lfence; rdtsc; shl $32,%rdx; or %rdx,%rax; mov %rax,%rdi; mov $39,%eax; syscall; jmp 1b
        byte[] code = {0x0f, (byte) 0xae, (byte) 0xe8, 0x0f, 0x31, 0x48, (byte) 0xc1, (byte) 0xe2, 0x20, 0x48, 0x09, (byte) 0xd0,
                0x48, (byte) 0x89, (byte) 0xc7, (byte) 0xb8, 39, 0, 0, 0, 0x0f, 0x05, (byte) 0xeb, (byte) 0xe8};
        long at = GuestLayout.MIN_USER_VA;
        try (GuestMachine m = new GuestMachine(path, 1 << 20)) {
            m.memory.map(at, PAGE, GuestMemory.PROT_READ | GuestMemory.PROT_EXEC);
            m.memory.writeInitial(at, code, 0, code.length);
            m.setEntry(at, 0);
            SyscallGate gate = new SyscallGate(m);
            VcpuKicker kicker = new VcpuKicker(m.vcpu);
            CompletableFuture.delayedExecutor(2, TimeUnit.SECONDS).execute(kicker::kick);
            try {
                for (int i = 0; i < 5; i++) {
                    long before = HostTsc.read();
                    VcpuExit e = m.vcpu.run();
                    long after = HostTsc.read();
                    if (!gate.isSyscall(e)) {
                        return "the TSC check did not reach its syscall: " + gate.describe(e).reason();
                    }
                    long guest = m.vcpu.reg(REG_RDI);
                    if (Long.compareUnsigned(guest, before) < 0 || Long.compareUnsigned(guest, after) > 0) {
                        return String.format("the guest's TSC (0x%x) is not the host's (0x%x..0x%x)", guest, before, after);
                    }
                    gate.complete(0);
                }
            } finally {
                kicker.close();
            }
        }
        return null;
    }

    /** One (tsc, CLOCK_MONOTONIC) pair: the best bracket of a few tries, the clock at its middle. */
    private static long[] sample() {
        long bestGap = Long.MAX_VALUE, tsc = 0, mono = 0;
        for (int i = 0; i < 4; i++) {
            long a = System.nanoTime();
            long t = HostTsc.read();
            long b = System.nanoTime();
            if (b - a < bestGap) {
                bestGap = b - a;
                tsc = t;
                mono = a + (b - a) / 2;
            }
        }
        return new long[] {tsc, mono};
    }

    private static long realOffset() {
        long a = System.nanoTime();
        Instant now = Instant.now();
        long b = System.nanoTime();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano() - (a + (b - a) / 2);
    }

    private static void calibrate() {
        long[] s0 = sample();
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long[] s1 = sample();
        if (s1[0] - s0[0] <= 0 || s1[1] - s0[1] <= 0) {
            throw new IllegalStateException("the TSC did not advance");
        }
        t0 = s0[0];
        m0 = s0[1];
        nsPerTick = (double) (s1[1] - s0[1]) / (s1[0] - s0[0]);
    }

    /**
     * CLOCK_REALTIME ({@code realtime}) or CLOCK_MONOTONIC as the vDSO reads it now, for the
     * Sentry's own answers; -1 while the page says "use the syscall".
     */
    static long now(boolean realtime) {
        HostMemory p = page();
        while (true) {
            int seq = p.getInt(OFF_SEQ);
            if ((seq & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            if (p.getInt(OFF_MODE) != 1) {
                return -1;
            }
            long t = predict(HostTsc.read(), p.getLong(OFF_TSC_BASE), p.getLong(OFF_MONO_BASE), p.getLong(OFF_MULT));
            long off = p.getLong(OFF_REAL_OFFSET);
            if (p.getInt(OFF_SEQ) == seq) {
                return realtime ? t + off : t;
            }
        }
    }

    /** What the page's current values give at {@code tsc} (the guest's formula). */
    static long predict(long tsc, long tscBase, long monoBase, long mult) {
        long delta = Long.compareUnsigned(tsc, tscBase) > 0 ? tsc - tscBase : 0;
        long hi = Math.multiplyHigh(delta, mult);
        long lo = delta * mult;
        return monoBase + ((hi << 32) | (lo >>> 32));
    }

    private static void updateQuietly() {
        try {
            update();
        } catch (RuntimeException e) {
            status = "updater failed: " + e;
        }
    }

    /**
     * Re-anchors the page. The pairs are sampled first; only one TSC read and the stores happen
     * while the count is odd, so readers wait a microsecond or two, not the whole sampling.
     */
    private static synchronized void update() {
        long[] s = sample();
        long realOffset = realOffset();
        if (mult != 0 && s[0] - t0 > 0 && s[1] - m0 > 1_000_000) {
            nsPerTick = (double) (s[1] - m0) / (s[0] - t0);   // the rate over all the time since start-up
        }
        HostMemory p = page();
        int seq = p.getInt(OFF_SEQ);
        p.putInt(OFF_SEQ, seq + 1);   // odd: readers wait; HostTsc's fence orders this store before the TSC read below
        int mode = 0;
        try {
            long tsc = HostTsc.read();
            long mono = s[1] + Math.round((tsc - s[0]) * nsPerTick);   // the host's clock at tsc, from the sampled pair
            long base = mono;
            long offset = realOffset;
            double aheadNs = 0;
            if (mult != 0) {
                long was = predict(tsc, tscBase, monoBase, mult);
                if (was > mono) {
                    base = was;   // never back
                    aheadNs = was - mono;
                }
                // each offset is measured afresh, a microsecond or so apart from the last: CLOCK_REALTIME
                // would step back by that jitter; only a real step of the host's clock moves it back
                long wasReal = was + p.getLong(OFF_REAL_OFFSET);
                if (base + offset < wasReal && wasReal - (base + offset) < REALTIME_STEP_NS) {
                    offset = wasReal - base;
                }
            }
            double slow = Math.min(MAX_SLEW, SLOW + aheadNs / (PERIOD_MS * 1e6));
            tscBase = tsc;
            monoBase = base;
            mult = Math.round(nsPerTick * (1 - slow) * 4294967296.0);
            p.putLong(OFF_TSC_BASE, tscBase);
            p.putLong(OFF_MONO_BASE, monoBase);
            p.putLong(OFF_MULT, mult);
            p.putLong(OFF_REAL_OFFSET, offset);
            mode = 1;
        } finally {
            p.putInt(OFF_MODE, mode);   // a failure leaves the page in "use the syscall", never half-written
            p.putInt(OFF_SEQ, seq + 2);
        }
    }
}
