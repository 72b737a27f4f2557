package dev.palisade.sandbox.platform;

import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxSpec;

import java.util.Optional;

/**
 * One way of running a program under the Sentry: ptrace or KVM. Platforms are siblings behind
 * this interface; {@code SandboxEngine} picks one per spec.
 */
public interface Platform {

    /** Short name used on the command line and in results: "ptrace" or "kvm". */
    String name();

    /** Empty when this host can run the platform, else the reason it cannot (shown to the user). */
    Optional<String> unavailableReason();

    /**
     * Empty when this platform can give the spec what it asks beyond its program (its network
     * policy, for one), else the reason it cannot, fit to show the person who asked.
     */
    default Optional<String> refusal(SandboxSpec spec) {
        return Optional.empty();
    }

    /** Whether this platform can run the spec's program (KVM: x86-64 ELF executables, static or dynamic). */
    boolean canRun(SandboxSpec spec);

    /** Starts the sandbox; throws {@code SandboxException} with a clear message when it cannot. */
    Sandbox start(SandboxSpec spec);
}
