package dev.palisade.sandbox.platform.ptrace;

import dev.palisade.sandbox.Sandbox;
import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.platform.Platform;

import java.util.Optional;

/** Runs any Linux program under the Sentry through ptrace and a seccomp-bpf filter. */
public final class PtracePlatform implements Platform {

    @Override
    public String name() {
        return "ptrace";
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.of("ptrace platform is being built");
    }

    @Override
    public boolean canRun(SandboxSpec spec) {
        return true;
    }

    @Override
    public Sandbox start(SandboxSpec spec) {
        throw new SandboxException("ptrace platform is being built");
    }
}
