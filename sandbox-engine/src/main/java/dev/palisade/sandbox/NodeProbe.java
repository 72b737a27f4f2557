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
import java.util.Comparator;
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
 * the sandbox left out. One warm-up run, then the median of three.
 */
public final class NodeProbe {
    /** Calls per run: a few hundred, so a run costs milliseconds even where a call costs 100 µs. */
    static final int CALLS = 400;
    private static final int RUNS = 3;
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
            long ptrace = cost(platforms, "ptrace", dir, problems);
            long kvm = cost(platforms, "kvm", dir, problems);
            long exit = -1;
            if (platforms.stream().anyMatch(p -> p.name().equals("kvm") && p.unavailableReason().isEmpty())) {
                exit = KvmPlatform.exitNanos().orElse(-1);
            }
            return new Measurement(ptrace, kvm, exit, problems.isEmpty() ? null : String.join("; ", problems));
        } catch (IOException | RuntimeException e) {
            return new Measurement(-1, -1, -1, "the probe failed: " + e.getMessage());
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

    /** Median nanoseconds per served call on the named platform, or -1 with the reason added to {@code problems}. */
    private static long cost(List<Platform> platforms, String name, Path dir, List<String> problems) {
        Optional<Platform> p = platforms.stream().filter(x -> x.name().equals(name)).findFirst();
        if (p.isEmpty()) {
            problems.add(name + " is not part of this build");
            return -1;
        }
        Optional<String> unavailable = p.get().unavailableReason();
        if (unavailable.isPresent()) {
            problems.add(name + " is unavailable: " + unavailable.get());
            return -1;
        }
        SandboxSpec spec = SandboxSpec.builder(List.of(DIR_IN_SANDBOX + "/calls"))
                .bind(new SandboxSpec.Bind(dir, DIR_IN_SANDBOX, true))
                .limits(Limits.DEFAULT.withWallMillis(10_000))
                .build();
        List<Long> perCall = new ArrayList<>();
        try {
            for (int i = 0; i <= RUNS; i++) {
                long ns = run(p.get(), spec);
                if (i > 0) { // the first run warms the Sentry's code paths
                    perCall.add(ns);
                }
            }
        } catch (IOException | RuntimeException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            problems.add(name + ": " + e.getMessage());
            return -1;
        }
        perCall.sort(Comparator.naturalOrder());
        return perCall.get(perCall.size() / 2);
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

    static String micros(long nanos) {
        return nanos < 0 ? "unmeasured" : nanos < 10_000 ? String.format(java.util.Locale.ROOT, "%.1f µs", nanos / 1000.0)
                : Math.round(nanos / 1000.0) + " µs";
    }
}
