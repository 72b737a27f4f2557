package dev.palisade.sandbox;

import dev.palisade.sandbox.platform.Platform;
import dev.palisade.sandbox.platform.kvm.KvmPlatform;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code auto} by evidence: the node probe's figures come from real runs on both platforms, and
 * {@code auto} follows {@link AutoChoice}'s rule for real programs run in real sandboxes.
 */
class AutoChoiceTest {
    private static final List<Platform> PLATFORMS = List.of(
            new PtracePlatform(PtracePlatform.DEFAULT_UID, PtracePlatform.DEFAULT_GID, s -> { }), new KvmPlatform(s -> { }));
    private static NodeProbe.Measurement node;

    @TempDir
    static Path dir;

    @BeforeAll
    static void measure() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.write(dir.resolve("calls"), NodeProbe.program(NodeProbe.CALLS));
        Files.setPosixFilePermissions(dir.resolve("calls"), PosixFilePermissions.fromString("r-xr-xr-x"));
    }

    private static void assumeBothPlatforms() {
        assumeTrue(Files.exists(Path.of("/dev/kvm")), "no /dev/kvm on this host: the KVM side of auto is not tested here");
        for (Platform p : PLATFORMS) {
            assumeTrue(p.unavailableReason().isEmpty(), () -> p.name() + " unavailable here: " + p.unavailableReason().orElse(""));
        }
    }

    private static synchronized NodeProbe.Measurement node() {
        if (node == null) {
            node = NodeProbe.measure(PLATFORMS);
        }
        return node;
    }

    /** A static program: the probe's own, making 3 calls. */
    private static SandboxSpec staticProgram(PlatformChoice choice) throws Exception {
        Path exe = dir.resolve("three");
        if (!Files.exists(exe)) {
            Files.write(exe, NodeProbe.program(3));
            Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("r-xr-xr-x"));
        }
        return SandboxSpec.builder(List.of("/probe/three")).bind(new SandboxSpec.Bind(dir, "/probe", true))
                .platform(choice).build();
    }

    private static SandboxSpec dynamicProgram() {
        return SandboxSpec.builder(List.of("/bin/echo", "hi")).build();
    }

    private record Ran(SandboxResult result, byte[] stdout) {
    }

    private static Ran run(SandboxEngine engine, SandboxSpec spec) throws Exception {
        try (Sandbox s = engine.start(spec)) {
            CompletableFuture<byte[]> out = TestStreams.drain(s.stdout());
            TestStreams.drain(s.stderr());
            s.stdin().close();
            SandboxResult r = s.await(Duration.ofSeconds(30)).orElseThrow(() -> new AssertionError("did not end in 30 s"));
            return new Ran(r, out.get(10, TimeUnit.SECONDS));
        }
    }

    /** Nanoseconds per getppid of the probe program run natively, outside any sandbox. */
    private static long nativeCallNanos() throws Exception {
        Process p = new ProcessBuilder(dir.resolve("calls").toString()).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).isZero();
        assertThat(out).hasSize(32);
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        return ((b.getLong(16) - b.getLong(0)) * 1_000_000_000L + b.getLong(24) - b.getLong(8)) / NodeProbe.CALLS;
    }

    @Test
    void the_probe_measures_both_platforms_from_real_runs() throws Exception {
        assumeBothPlatforms();
        NodeProbe.Measurement m = node();
        assertThat(m.problem()).isNull();
        assertThat(m.complete()).isTrue();
        // the same program natively (fastest of three): a served call is a stop or an exit, far dearer
        long nativeNanos = Math.min(nativeCallNanos(), Math.min(nativeCallNanos(), nativeCallNanos()));
        assertThat(m.ptraceCallNanos()).as(m + " vs native " + nativeNanos).isGreaterThan(10 * nativeNanos);
        assertThat(m.kvmCallNanos()).as(m + " vs native " + nativeNanos).isGreaterThan(10 * nativeNanos);
        // and the probe's calls are served by the Sentry on both platforms, none passed to the host unseen
        SandboxEngine engine = SandboxEngine.of(PLATFORMS, m);
        for (PlatformChoice p : List.of(PlatformChoice.PTRACE, PlatformChoice.KVM)) {
            SandboxSpec spec = SandboxSpec.builder(List.of("/probe/calls")).bind(new SandboxSpec.Bind(dir, "/probe", true))
                    .platform(p).build();
            Ran r = run(engine, spec);
            assertThat(r.stdout()).hasSize(32);
            assertThat(r.result().syscallCounts()).as(p.name()).containsEntry("getppid", (long) NodeProbe.CALLS);
        }
        // a served call on KVM is an exit and then the Sentry's work: never cheaper than a fraction of the bare exit
        assertThat(m.kvmExitNanos()).isPositive();
        assertThat(m.kvmCallNanos()).as(m.toString()).isGreaterThan(m.kvmExitNanos() / 4);
    }

    @Test
    void the_engine_measures_its_node_in_the_background() throws Exception {
        assumeBothPlatforms();
        SandboxEngine engine = SandboxEngine.create(s -> { });
        NodeProbe.Measurement m = engine.awaitNodeMeasurement(Duration.ofSeconds(60)).orElseThrow();
        assertThat(m.complete()).as(m.toString()).isTrue();
        assertThat(engine.nodeMeasurement()).contains(m);
    }

    @Test
    void the_command_line_keeps_its_measurement_for_the_rest_of_the_boot() throws Exception {
        assumeBothPlatforms();
        Path cache = dir.resolve("run").resolve("node-probe");
        NodeProbe.Measurement first = NodeProbe.measureOncePerBoot(PLATFORMS, cache);
        assertThat(first.complete()).as(first.toString()).isTrue();
        String boot = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
        assertThat(Files.readString(cache)).isEqualTo(boot + " " + first.ptraceCallNanos() + " " + first.kvmCallNanos() + " "
                + first.kvmExitNanos() + "\n");
        // what the file says is what the next run takes, without measuring
        Files.writeString(cache, boot + " 11111 22222 3333\n");
        assertThat(NodeProbe.measureOncePerBoot(PLATFORMS, cache)).isEqualTo(new NodeProbe.Measurement(11111, 22222, 3333, null));
        // another boot's figures, or a file others could have written, are measured anew
        Files.writeString(cache, "00000000-0000-0000-0000-000000000000 11111 22222 3333\n");
        assertThat(NodeProbe.measureOncePerBoot(PLATFORMS, cache).ptraceCallNanos()).isNotEqualTo(11111);
        Files.writeString(cache, boot + " 11111 22222 3333\n");
        Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertThat(NodeProbe.measureOncePerBoot(PLATFORMS, cache).ptraceCallNanos()).isNotEqualTo(11111);
        Files.writeString(cache, boot + " 11111 x 3333\n");
        assertThat(NodeProbe.measureOncePerBoot(PLATFORMS, cache).complete()).isTrue();
    }

    @Test
    void auto_follows_the_rule_with_this_nodes_own_figures() throws Exception {
        assumeBothPlatforms();
        NodeProbe.Measurement m = node();
        SandboxEngine engine = SandboxEngine.of(PLATFORMS, m);
        String forStatic = m.kvmCallNanos() <= AutoChoice.STATIC_FACTOR * m.ptraceCallNanos() ? "kvm" : "ptrace";
        String forDynamic = m.kvmCallNanos() <= AutoChoice.DYNAMIC_FACTOR * m.ptraceCallNanos() ? "kvm" : "ptrace";
        // past the static factor the program is not looked at: the reason says so
        boolean anyProgram = m.kvmCallNanos() > AutoChoice.STATIC_FACTOR * m.ptraceCallNanos();

        Ran s = run(engine, staticProgram(PlatformChoice.AUTO));
        assertThat(s.result().termination()).isEqualTo(Termination.EXITED);
        assertThat(s.stdout()).hasSize(32);
        assertThat(s.result().platform()).isEqualTo(forStatic);
        assertThat(s.result().platformReason()).startsWith("auto: " + forStatic + " — served call ")
                .contains(NodeProbe.micros(m.kvmCallNanos()) + " on kvm").contains(NodeProbe.micros(m.ptraceCallNanos()) + " on ptrace")
                .contains(anyProgram ? "any program" : "static program");

        Ran d = run(engine, dynamicProgram());
        assertThat(new String(d.stdout(), StandardCharsets.UTF_8)).isEqualTo("hi\n");
        assertThat(d.result().platform()).isEqualTo(forDynamic);
        assertThat(d.result().platformReason()).startsWith("auto: " + forDynamic + " — ")
                .contains(anyProgram ? "any program" : "dynamic program");
    }

    @Test
    void a_node_where_kvm_is_cheap_runs_both_kinds_on_kvm() throws Exception {
        assumeBothPlatforms();
        SandboxEngine engine = SandboxEngine.of(PLATFORMS, new NodeProbe.Measurement(20_000, 8_000, 5_000, null));
        Ran s = run(engine, staticProgram(PlatformChoice.AUTO));
        assertThat(s.result().platform()).isEqualTo("kvm");
        assertThat(s.result().platformReason())
                .isEqualTo("auto: kvm — served call 8.0 µs on kvm vs 20 µs on ptrace on this node (bare exit 5.0 µs); static program, within 2×");
        Ran d = run(engine, dynamicProgram());
        assertThat(new String(d.stdout(), StandardCharsets.UTF_8)).isEqualTo("hi\n");
        assertThat(d.result().platform()).isEqualTo("kvm");
        assertThat(d.result().platformReason()).startsWith("auto: kvm — ").endsWith("dynamic program, within 1×");
    }

    @Test
    void kvm_dearer_within_the_static_factor_takes_static_programs_only() throws Exception {
        assumeBothPlatforms();
        SandboxEngine engine = SandboxEngine.of(PLATFORMS, new NodeProbe.Measurement(10_000, 15_000, 12_000, null));
        assertThat(run(engine, staticProgram(PlatformChoice.AUTO)).result().platform()).isEqualTo("kvm");
        Ran d = run(engine, dynamicProgram());
        assertThat(d.result().platform()).isEqualTo("ptrace");
        assertThat(d.result().platformReason()).startsWith("auto: ptrace — served call 15 µs on kvm vs 10 µs on ptrace")
                .endsWith("dynamic program, above 1×");
        // and dearer than that: ptrace for both
        SandboxEngine dear = SandboxEngine.of(PLATFORMS, new NodeProbe.Measurement(10_000, 25_000, 12_000, null));
        Ran s = run(dear, staticProgram(PlatformChoice.AUTO));
        assertThat(s.result().platform()).isEqualTo("ptrace");
        assertThat(s.result().platformReason()).endsWith("any program, above 2×");
        // there the program is not read at all: one KVM could not run gets the same reason
        assertThat(dear.decide(SandboxSpec.builder(List.of("/etc/hostname")).build()).reason())
                .isEqualTo("auto: ptrace — served call 25 µs on kvm vs 10 µs on ptrace on this node (bare exit 12 µs); any program, above 2×");
    }

    @Test
    void a_spec_kvm_refuses_falls_to_ptrace_with_kvms_reason() throws Exception {
        assumeBothPlatforms();
        SandboxEngine engine = SandboxEngine.of(PLATFORMS, new NodeProbe.Measurement(20_000, 8_000, 5_000, null));
        SandboxSpec egress = SandboxSpec.builder(List.of("/probe/three")).bind(new SandboxSpec.Bind(dir, "/probe", true))
                .network(NetworkPolicy.EGRESS).build();
        SandboxEngine.Decision d = engine.decide(egress);
        assertThat(d.platform().name()).isEqualTo("ptrace");
        assertThat(d.reason()).isEqualTo("auto: ptrace — " + KvmPlatform.EGRESS_REFUSAL);
        // the same program without egress goes to KVM on that node: the refusal alone sent it away
        assertThat(engine.decide(staticProgram(PlatformChoice.AUTO)).platform().name()).isEqualTo("kvm");
    }

    @Test
    void a_node_offering_ptrace_alone_never_takes_kvm() throws Exception {
        assumeBothPlatforms();
        SandboxEngine cheapKvm = SandboxEngine.of(PLATFORMS, new NodeProbe.Measurement(20_000, 8_000, 5_000, null));
        assertThat(cheapKvm.decide(staticProgram(PlatformChoice.AUTO)).platform().name()).isEqualTo("kvm");
        SandboxEngine ptraceOnly = cheapKvm.offering(List.of("ptrace"));
        assertThat(ptraceOnly.platforms()).extracting(p -> p.name()).containsExactly("ptrace");
        Ran r = run(ptraceOnly, staticProgram(PlatformChoice.AUTO));
        assertThat(r.result().platform()).isEqualTo("ptrace");
        assertThat(r.result().platformReason()).startsWith("auto: ptrace — kvm is not offered here");
        assertThatThrownBy(() -> ptraceOnly.decide(staticProgram(PlatformChoice.KVM)))
                .hasMessageContaining("platform kvm is not offered here");
        assertThat(cheapKvm.offering(List.of())).isSameAs(cheapKvm);
    }

    @Test
    void a_failed_probe_or_an_unfinished_one_keeps_auto_on_ptrace() throws Exception {
        assumeTrue(PLATFORMS.get(0).unavailableReason().isEmpty(), "ptrace unavailable here");
        SandboxEngine failed = SandboxEngine.of(PLATFORMS, new NodeProbe.Measurement(20_000, -1, -1, "kvm: it broke"));
        SandboxEngine unfinished = SandboxEngine.of(PLATFORMS);
        if (PLATFORMS.get(1).unavailableReason().isEmpty()) {
            assertThat(failed.decide(staticProgram(PlatformChoice.AUTO)).reason())
                    .isEqualTo("auto: ptrace — this node's probe could not measure both platforms (kvm: it broke)");
            Ran r = run(unfinished, staticProgram(PlatformChoice.AUTO));
            assertThat(r.result().platform()).isEqualTo("ptrace");
            assertThat(r.result().platformReason()).isEqualTo("auto: ptrace — this node's probe of its platforms has not finished yet");
        } else {
            assertThat(run(unfinished, staticProgram(PlatformChoice.AUTO)).result().platformReason())
                    .startsWith("auto: ptrace — kvm is unavailable: ");
        }
    }

    @Test
    void without_dev_kvm_auto_takes_ptrace_and_says_why() throws Exception {
        assumeTrue(!Files.exists(Path.of("/dev/kvm")), "this host has /dev/kvm: the test for a host without it is skipped");
        assumeTrue(PLATFORMS.get(0).unavailableReason().isEmpty(), "ptrace unavailable here");
        SandboxEngine engine = SandboxEngine.create(s -> { });
        NodeProbe.Measurement m = engine.awaitNodeMeasurement(Duration.ofSeconds(60)).orElseThrow();
        assertThat(m.ptraceCallNanos()).isPositive();
        assertThat(m.kvmCallNanos()).isEqualTo(-1);
        Ran r = run(engine, staticProgram(PlatformChoice.AUTO));
        assertThat(r.result().platform()).isEqualTo("ptrace");
        assertThat(r.result().platformReason()).isEqualTo("auto: ptrace — kvm is unavailable: /dev/kvm does not exist (no KVM on this host)");
    }

    @Test
    void an_explicit_platform_says_it_was_asked_for() throws Exception {
        assumeBothPlatforms();
        SandboxEngine engine = SandboxEngine.of(PLATFORMS, new NodeProbe.Measurement(20_000, 8_000, 5_000, null));
        Ran r = run(engine, staticProgram(PlatformChoice.PTRACE));
        assertThat(r.result().platform()).isEqualTo("ptrace");
        assertThat(r.result().platformReason()).isEqualTo("asked for ptrace");
    }
}
