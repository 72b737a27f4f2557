package dev.palisade.sandbox;

import dev.palisade.sandbox.platform.Platform;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The entry point: knows the platforms of this build and picks one per spec.
 *
 * <p>{@link PlatformChoice#AUTO} takes KVM for a program KVM prefers (a static ELF) when
 * {@code /dev/kvm} works, and ptrace otherwise.
 */
public final class SandboxEngine {

    private final List<Platform> platforms;

    private SandboxEngine(List<Platform> platforms) {
        this.platforms = List.copyOf(platforms);
    }

    /** The engine with every platform of this build; {@code --trace} lines go to stderr. */
    public static SandboxEngine create() {
        return create(System.err::println);
    }

    /** The engine with every platform of this build, printing {@code --trace} lines to {@code trace}. */
    public static SandboxEngine create(Consumer<String> trace) {
        List<Platform> platforms = new ArrayList<>();
        platforms.add(new PtracePlatform(PtracePlatform.DEFAULT_UID, PtracePlatform.DEFAULT_GID, trace));
        platforms.add(new dev.palisade.sandbox.platform.kvm.KvmPlatform(trace));
        // The Sentry's table (some 240 handler references, each a class the JVM makes on first use)
        // and the ptrace filters built from it take about 0.1 s to initialise: done on another
        // thread while the first sandbox's stub spawns, not on the first sandbox's path.
        Thread warmUp = new Thread(PtracePlatform::warmUp, "palisade-warm-up");
        warmUp.setDaemon(true);
        warmUp.start();
        return new SandboxEngine(platforms);
    }

    /** An engine over the given platforms (tests, embedding). */
    public static SandboxEngine of(List<Platform> platforms) {
        return new SandboxEngine(platforms);
    }

    public List<Platform> platforms() {
        return platforms;
    }

    public Optional<Platform> platform(String name) {
        return platforms.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** The platform that would run this spec; throws {@link SandboxException} saying why none can. */
    public Platform resolve(SandboxSpec spec) {
        return switch (spec.platform()) {
            case PTRACE -> usable("ptrace", spec);
            case KVM -> usable("kvm", spec);
            case AUTO -> {
                Optional<Platform> kvm = platform("kvm");
                if (kvm.isPresent() && kvm.get().unavailableReason().isEmpty() && kvm.get().refusal(spec).isEmpty()
                        && kvm.get().preferredFor(spec)) {
                    yield kvm.get();
                }
                yield usable("ptrace", spec);
            }
        };
    }

    private Platform usable(String name, SandboxSpec spec) {
        Platform p = platform(name).orElseThrow(
                () -> new SandboxException("platform " + name + " is not part of this build"));
        Optional<String> why = p.unavailableReason();
        if (why.isPresent()) {
            throw new SandboxException("platform " + name + " is unavailable: " + why.get());
        }
        Optional<String> refused = p.refusal(spec);
        if (refused.isPresent()) {
            throw new SandboxException("platform " + name + " cannot run this sandbox: " + refused.get());
        }
        if (!p.canRun(spec)) {
            // the usual cause: a host path given as the program; paths resolve inside the sandbox's root
            throw new SandboxException("platform " + name + " cannot run " + spec.command().get(0)
                    + (name.equals("kvm") ? ": it runs only x86-64 ELF executables" : "")
                    + " (the program is looked up inside the sandbox's root; make a host directory visible with --bind)");
        }
        return p;
    }

    /** Starts a sandbox on the platform {@link #resolve} picks. */
    public Sandbox start(SandboxSpec spec) {
        return resolve(spec).start(spec);
    }
}
