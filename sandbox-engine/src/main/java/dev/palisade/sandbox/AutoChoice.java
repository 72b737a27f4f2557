package dev.palisade.sandbox;

import dev.palisade.sandbox.platform.Platform;
import dev.palisade.sandbox.platform.kvm.KvmPlatform;

import java.util.Optional;

/**
 * The rule {@link PlatformChoice#AUTO} follows, in one place. KVM isolates more (the program's
 * calls never reach the host kernel), so {@code auto} takes it whenever it can run the spec and
 * this node's own measurement ({@link NodeProbe}) says it costs no more than a set factor of ptrace:
 *
 * <ol>
 * <li>ptrace when KVM is unavailable, refuses what the spec asks (its network policy), or cannot run
 *     the program (not an x86-64 ELF executable);</li>
 * <li>KVM when ptrace is unavailable (on a host without it, KVM is all there is);</li>
 * <li>ptrace while the node's probe has not finished, or when it could not measure both platforms;</li>
 * <li>ptrace, without looking the program up, when a served call on KVM costs more than
 *     {@value #STATIC_FACTOR}× one on ptrace: no program would go to KVM (the look-up builds KVM's
 *     view of the sandbox's files, a good part of a warm start);</li>
 * <li>for a static program, KVM when a served call on KVM costs at most {@value #STATIC_FACTOR}× a
 *     served call on ptrace;</li>
 * <li>for a dynamic program, KVM when it costs at most {@value #DYNAMIC_FACTOR}×: besides its calls, a
 *     dynamic program's start-up on KVM copies every library it maps, and on ptrace its reads,
 *     writes and mappings run natively, so KVM must be no dearer per call to keep up.</li>
 * </ol>
 *
 * <p>The reason is one line, fit for a result page: {@code auto: kvm — served call 31 µs on kvm
 * vs 17 µs on ptrace on this node (bare exit 24 µs); static program, within 2×}.
 */
public final class AutoChoice {
    /** How much dearer per call KVM may be for a static program: the price of its isolation. */
    public static final double STATIC_FACTOR = 2.0;
    /** How much dearer per call KVM may be for a dynamic program (see the class comment). */
    public static final double DYNAMIC_FACTOR = 1.0;

    /** The platform {@code auto} takes and why. */
    public record Choice(String platform, String reason) {
    }

    private AutoChoice() {
    }

    /**
     * Applies the rule. {@code node} is null while the probe runs; {@code ptrace} and {@code kvm}
     * are empty when the build lacks them.
     */
    public static Choice choose(SandboxSpec spec, Optional<Platform> ptrace, Optional<Platform> kvm, NodeProbe.Measurement node) {
        if (kvm.isEmpty()) {
            return ptrace("kvm is not offered here (not in this build, or not among the node's platforms)");
        }
        Optional<String> unavailable = kvm.get().unavailableReason();
        if (unavailable.isPresent()) {
            return ptrace("kvm is unavailable: " + unavailable.get());
        }
        Optional<String> refused = kvm.get().refusal(spec);
        if (refused.isPresent()) {
            return ptrace(refused.get());
        }
        // the larger factor: a node dearer than it sends no program to KVM, so the program need not be read
        boolean ptraceUsable = ptrace.isPresent() && ptrace.get().unavailableReason().isEmpty();
        if (ptraceUsable && node != null && node.complete() && node.kvmCallNanos() > STATIC_FACTOR * node.ptraceCallNanos()) {
            return ptrace(evidence(node) + "; any program, above " + factor(STATIC_FACTOR) + "×");
        }
        Optional<Boolean> dynamic = kvm.get() instanceof KvmPlatform k ? k.dynamicProgram(spec)
                : kvm.get().canRun(spec) ? Optional.of(true) : Optional.empty();
        if (dynamic.isEmpty()) {
            return ptrace("kvm runs only x86-64 ELF executables");
        }
        Optional<String> noPtrace = ptrace.isEmpty() ? Optional.of("it is not offered here") : ptrace.get().unavailableReason();
        if (noPtrace.isPresent()) {
            return new Choice("kvm", "auto: kvm — ptrace is unavailable: " + noPtrace.get());
        }
        if (node == null) {
            return ptrace("this node's probe of its platforms has not finished yet");
        }
        if (!node.complete()) {
            return ptrace("this node's probe could not measure both platforms (" + node.problem() + ")");
        }
        double factor = dynamic.get() ? DYNAMIC_FACTOR : STATIC_FACTOR;
        boolean kvmWins = node.kvmCallNanos() <= factor * node.ptraceCallNanos();
        String evidence = evidence(node) + "; " + (dynamic.get() ? "dynamic" : "static") + " program, "
                + (kvmWins ? "within " : "above ") + factor(factor) + "×";
        return new Choice(kvmWins ? "kvm" : "ptrace", "auto: " + (kvmWins ? "kvm" : "ptrace") + " — " + evidence);
    }

    /** The node's figures, as a reason says them. */
    private static String evidence(NodeProbe.Measurement node) {
        return "served call " + NodeProbe.micros(node.kvmCallNanos()) + " on kvm vs "
                + NodeProbe.micros(node.ptraceCallNanos()) + " on ptrace on this node"
                + (node.kvmExitNanos() > 0 ? " (bare exit " + NodeProbe.micros(node.kvmExitNanos()) + ")" : "");
    }

    private static String factor(double factor) {
        return factor == Math.rint(factor) ? Long.toString((long) factor) : Double.toString(factor);
    }

    private static Choice ptrace(String why) {
        return new Choice("ptrace", "auto: ptrace — " + why);
    }
}
