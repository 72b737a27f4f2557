package dev.palisade.sandbox;

import dev.palisade.sandbox.platform.Platform;
import dev.palisade.sandbox.platform.kvm.KvmPlatform;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What this node measured of its platforms, for {@code auto}: the cost of one system call the
 * Sentry serves, on each platform, timed by one tiny static program run in a real sandbox of each,
 * and the bare KVM exit cost of the KVM platform's own start-up probe.
 *
 * <p>The program ({@link #program}: 81 bytes of machine code in a static ELF file written here) reads
 * {@code CLOCK_MONOTONIC}, makes {@value #CALLS} {@code getppid} calls, reads the clock again and
 * writes both readings to stdout. {@code getppid} is served by the Sentry on both platforms (a
 * seccomp stop on ptrace, an exit on KVM), so the two figures price the same work, the start-up of
 * the sandbox left out. One warm-up run each, then the fastest of four, the platforms taking turns:
 * contention on a busy node only ever adds time, so the fastest run is the closest to the cost itself.
 */
public final class NodeProbe {
    /** Calls per run: a few hundred, so a run costs milliseconds even where a call costs 100 µs. */
    static final int CALLS = 400;
    private static final int RUNS = 4;
    private static final String DIR_IN_SANDBOX = "/palisade-probe";

    /**
     * The node's figures. A cost is -1 where it was not measured; {@code problem} then says why.
     *
     * @param ptraceCallNanos a served call on ptrace (seccomp stop, Sentry, resume)
     * @param kvmCallNanos    a served call on KVM (exit, Sentry, re-entry)
     * @param kvmExitNanos    a bare KVM exit and re-entry, nothing served (the KVM platform's path probe)
     * @param problem         why a figure is missing, or null
     */
    public record Measurement(long ptraceCallNanos, long kvmCallNanos, long kvmExitNanos, String problem) {
        public boolean complete() {
            return ptraceCallNanos > 0 && kvmCallNanos > 0;
        }

        @Override
        public String toString() {
            return "served call: ptrace " + micros(ptraceCallNanos) + ", kvm " + micros(kvmCallNanos) + " (bare exit "
                    + micros(kvmExitNanos) + ")" + (problem == null ? "" : "; " + problem);
        }
    }

    private NodeProbe() {
    }

    /** Measures both platforms among {@code platforms}; never throws (a failure is the measurement's problem). */
    public static Measurement measure(List<Platform> platforms) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("palisade-probe");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path exe = dir.resolve("calls");
            Files.write(exe, program(CALLS));
            Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("r-xr-xr-x"));
            List<String> problems = new ArrayList<>();
            Platform ptrace = usable(platforms, "ptrace", problems);
            Platform kvm = usable(platforms, "kvm", problems);
            SandboxSpec spec = SandboxSpec.builder(List.of(DIR_IN_SANDBOX + "/calls"))
                    .bind(new SandboxSpec.Bind(dir, DIR_IN_SANDBOX, true))
                    .limits(Limits.DEFAULT.withWallMillis(10_000))
                    .build();
            long[] best = {Long.MAX_VALUE, Long.MAX_VALUE};
            // interleaved, so that a passing load falls on both platforms alike; the first round warms the Sentry's code
            for (int round = 0; round <= RUNS; round++) {
                Platform[] both = {ptrace, kvm};
                for (int i = 0; i < 2; i++) {
                    if (both[i] == null || best[i] < 0) {
                        continue;
                    }
                    try {
                        long ns = run(both[i], spec);
                        best[i] = round == 0 ? best[i] : Math.min(best[i], ns);
                    } catch (IOException | RuntimeException e) {
                        problems.add(both[i].name() + ": " + e.getMessage());
                        best[i] = -1;
                    }
                }
            }
            long ptraceNanos = ptrace == null || best[0] == Long.MAX_VALUE ? -1 : best[0];
            long kvmNanos = kvm == null || best[1] == Long.MAX_VALUE ? -1 : best[1];
            long exit = -1;
            if (kvm != null) {
                exit = KvmPlatform.exitNanos().orElse(-1);
            }
            return new Measurement(ptraceNanos, kvmNanos, exit, problems.isEmpty() ? null : String.join("; ", problems));
        } catch (IOException | RuntimeException e) {
            return new Measurement(-1, -1, -1, "the probe failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Measurement(-1, -1, -1, "the probe was interrupted");
        } finally {
            if (dir != null) {
                try {
                    Files.deleteIfExists(dir.resolve("calls"));
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // a temporary directory left behind
                }
            }
        }
    }

    /** Where the command line keeps this boot's measurement: a directory only root may write. */
    public static final Path BOOT_CACHE = Path.of("/run/palisade/node-probe");
    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

    /**
     * This boot's measurement from {@code cache} when the file is there, written since this boot by
     * this user or root, and not writable by others; else a fresh one, stored there when complete
     * (silently not, where the directory cannot be made). For a one-shot caller (the command line),
     * which would otherwise pay for the probe on every run.
     */
    public static Measurement measureOncePerBoot(List<Platform> platforms, Path cache) {
        String boot = bootId();
        Optional<Measurement> kept = readCache(cache, boot);
        if (kept.isPresent()) {
            return kept.get();
        }
        Measurement m = measure(platforms);
        if (m.complete() && boot != null) {
            try {
                Files.createDirectories(cache.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                Path tmp = Files.createTempFile(cache.getParent(), "node-probe", ".tmp");
                Files.writeString(tmp, boot + " " + m.ptraceCallNanos() + " " + m.kvmCallNanos() + " " + m.kvmExitNanos() + "\n");
                Files.move(tmp, cache, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | RuntimeException ignored) {
                // no cache: the next run measures again
            }
        }
        return m;
    }

    private static Optional<Measurement> readCache(Path cache, String boot) {
        try {
            if (boot == null || !Files.isRegularFile(cache, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            int owner = (Integer) Files.getAttribute(cache, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) Files.getAttribute(cache, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            int me = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if ((owner != 0 && owner != me) || (mode & 022) != 0 || Files.size(cache) > 256) {
                return Optional.empty();
            }
            String[] f = Files.readString(cache).strip().split(" ");
            if (f.length != 4 || !f[0].equals(boot)) {
                return Optional.empty();
            }
            Measurement m = new Measurement(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), null);
            return m.complete() ? Optional.of(m) : Optional.empty();
        } catch (IOException | RuntimeException unreadable) {
            return Optional.empty();
        }
    }

    private static String bootId() {
        try {
            String id = Files.readString(BOOT_ID).strip();
            return id.matches("[0-9a-f-]{36}") ? id : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The named platform when this host can run it, else null with the reason added to {@code problems}. */
    private static Platform usable(List<Platform> platforms, String name, List<String> problems) {
        Optional<Platform> p = platforms.stream().filter(x -> x.name().equals(name)).findFirst();
        if (p.isEmpty()) {
            problems.add(name + " is not part of this build");
            return null;
        }
        Optional<String> unavailable = p.get().unavailableReason();
        if (unavailable.isPresent()) {
            problems.add(name + " is unavailable: " + unavailable.get());
            return null;
        }
        return p.get();
    }

    private static long run(Platform p, SandboxSpec spec) throws IOException, InterruptedException {
        try (Sandbox s = p.start(spec)) {
            s.stdin().close();
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> drain(s.stderr()));
            byte[] out = s.stdout().readNBytes(64);
            SandboxResult r = s.await(Duration.ofSeconds(15)).orElseThrow(() -> {
                s.kill();
                return new IOException("the probe program did not end within 15 s");
            });
            if (r.termination() != Termination.EXITED || r.exitCode() != 0 || out.length != 32) {
                throw new IOException("the probe program ended " + r.termination() + " (" + r.message() + ") after "
                        + out.length + " bytes of output " + new String(err.join()).strip());
            }
            ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
            long t0 = b.getLong(0) * 1_000_000_000L + b.getLong(8);
            long t1 = b.getLong(16) * 1_000_000_000L + b.getLong(24);
            if (t1 <= t0) {
                throw new IOException("the probe program's clock did not advance");
            }
            return (t1 - t0) / CALLS;
        }
    }

    private static byte[] drain(InputStream in) {
        try {
            return in.readNBytes(4096);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /**
     * A static x86-64 ELF executable that makes {@code calls} {@code getppid} calls between two
     * readings of {@code CLOCK_MONOTONIC} and writes both {@code timespec}s (32 bytes) to stdout.
     */
    static byte[] program(int calls) {
        long base = 0x400000;
        int headers = 64 + 56;
        ByteBuffer code = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        code.put(new byte[] {0x48, (byte) 0x83, (byte) 0xec, 0x20});                         // sub $32,%rsp
        code.put(new byte[] {(byte) 0xb8, (byte) 228, 0, 0, 0});                             // mov $228,%eax (clock_gettime)
        code.put(new byte[] {(byte) 0xbf, 1, 0, 0, 0});                                      // mov $1,%edi (CLOCK_MONOTONIC)
        code.put(new byte[] {0x48, (byte) 0x89, (byte) 0xe6});                               // mov %rsp,%rsi
        code.put(new byte[] {0x0f, 0x05});                                                   // syscall
        code.put((byte) 0xbb).putInt(calls);                                                 // mov $calls,%ebx
        code.put(new byte[] {(byte) 0xb8, 110, 0, 0, 0});                                    // loop: mov $110,%eax (getppid)
        code.put(new byte[] {0x0f, 0x05});                                                   // syscall
        code.put(new byte[] {(byte) 0xff, (byte) 0xcb});                                     // dec %ebx
        code.put(new byte[] {0x75, (byte) 0xf5});                                            // jnz loop
        code.put(new byte[] {(byte) 0xb8, (byte) 228, 0, 0, 0});                             // mov $228,%eax
        code.put(new byte[] {(byte) 0xbf, 1, 0, 0, 0});                                      // mov $1,%edi
        code.put(new byte[] {0x48, (byte) 0x8d, 0x74, 0x24, 0x10});                          // lea 16(%rsp),%rsi
        code.put(new byte[] {0x0f, 0x05});                                                   // syscall
        code.put(new byte[] {(byte) 0xb8, 1, 0, 0, 0});                                      // mov $1,%eax (write)
        code.put(new byte[] {(byte) 0xbf, 1, 0, 0, 0});                                      // mov $1,%edi
        code.put(new byte[] {0x48, (byte) 0x89, (byte) 0xe6});                               // mov %rsp,%rsi
        code.put(new byte[] {(byte) 0xba, 32, 0, 0, 0});                                     // mov $32,%edx
        code.put(new byte[] {0x0f, 0x05});                                                   // syscall
        code.put(new byte[] {(byte) 0xb8, (byte) 231, 0, 0, 0});                             // mov $231,%eax (exit_group)
        code.put(new byte[] {0x31, (byte) 0xff});                                            // xor %edi,%edi
        code.put(new byte[] {0x0f, 0x05});                                                   // syscall
        int size = headers + code.position();
        ByteBuffer elf = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        elf.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        elf.putShort((short) 2).putShort((short) 0x3e).putInt(1);                            // ET_EXEC, x86-64, version
        elf.putLong(base + headers).putLong(64).putLong(0);                                  // entry, phoff, shoff
        elf.putInt(0).putShort((short) 64).putShort((short) 56).putShort((short) 1);         // flags, ehsize, phentsize, phnum
        elf.putShort((short) 64).putShort((short) 0).putShort((short) 0);                    // shentsize, shnum, shstrndx
        elf.putInt(1).putInt(5).putLong(0).putLong(base).putLong(base);                      // PT_LOAD, R+X, offset, vaddr, paddr
        elf.putLong(size).putLong(size).putLong(0x1000);                                     // filesz, memsz, align
        elf.put(code.array(), 0, code.position());
        return elf.array();
    }

    /** A cost as the reasons print it: {@code 8.0 µs}, {@code 73 µs}, or {@code unmeasured}. */
    public static String micros(long nanos) {
        return nanos < 0 ? "unmeasured" : nanos < 10_000 ? String.format(java.util.Locale.ROOT, "%.1f µs", nanos / 1000.0)
                : Math.round(nanos / 1000.0) + " µs";
    }
}
