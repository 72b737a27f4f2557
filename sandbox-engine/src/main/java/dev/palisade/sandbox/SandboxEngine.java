package dev.palisade.sandbox;

import dev.palisade.sandbox.platform.Platform;
import dev.palisade.sandbox.platform.ptrace.PtracePlatform;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The entry point: knows the platforms of this build and picks one per spec.
 *
 * <p>{@link PlatformChoice#AUTO} chooses by what this node measured ({@link NodeProbe}, once per
 * engine, in the background from {@link #create}) under the rule of {@link AutoChoice}; until the
 * measurement is in it takes ptrace. Every result says which platform ran it and why.
 */
public final class SandboxEngine {

    private final List<Platform> platforms;
    private final CompletableFuture<NodeProbe.Measurement> node;

    private SandboxEngine(List<Platform> platforms, CompletableFuture<NodeProbe.Measurement> node) {
        this.platforms = List.copyOf(platforms);
        this.node = node;
    }

    /** The engine with every platform of this build; {@code --trace} lines go to stderr. */
    public static SandboxEngine create() {
        return create(System.err::println);
    }

    /** The engine with every platform of this build, printing {@code --trace} lines to {@code trace}. */
    public static SandboxEngine create(Consumer<String> trace) {
        SandboxEngine engine = createUnmeasured(trace);
        // bounded: a few runs of a 201-byte program per platform, each with a wall limit
        Thread probe = new Thread(() -> engine.node.complete(NodeProbe.measure(engine.platforms)), "palisade-node-probe");
        probe.setDaemon(true);
        probe.start();
        return engine;
    }

    /**
     * The engine with every platform of this build that measures nothing itself: for a one-shot
     * caller (the command line) that brings this node's measurement ({@link #withNodeMeasurement})
     * or runs no {@code auto} spec; without one {@code auto} takes ptrace.
     */
    public static SandboxEngine createUnmeasured(Consumer<String> trace) {
        List<Platform> platforms = new ArrayList<>();
        platforms.add(new PtracePlatform(PtracePlatform.DEFAULT_UID, PtracePlatform.DEFAULT_GID, trace));
        platforms.add(new dev.palisade.sandbox.platform.kvm.KvmPlatform(trace));
        // The Sentry's table (some 240 handler references, each a class the JVM makes on first use)
        // and the ptrace filters built from it take about 0.1 s to initialise: done on another
        // thread while the first sandbox's stub spawns, not on the first sandbox's path.
        Thread warmUp = new Thread(PtracePlatform::warmUp, "palisade-warm-up");
        warmUp.setDaemon(true);
        warmUp.start();
        return new SandboxEngine(platforms, new CompletableFuture<>());
    }

    /**
     * This engine with only the platforms {@code names} lists (every one when it is empty or
     * null), sharing its measurement: what a node offers. {@code auto} then chooses among those
     * only, so a node that offers ptrace alone never runs a workload on KVM.
     */
    public SandboxEngine offering(java.util.Collection<String> names) {
        if (names == null || names.isEmpty()) {
            return this;
        }
        return new SandboxEngine(platforms.stream().filter(p -> names.contains(p.name())).toList(), node);
    }

    /** This engine's platforms with {@code node} as this node's measurement. */
    public SandboxEngine withNodeMeasurement(NodeProbe.Measurement node) {
        return new SandboxEngine(platforms, CompletableFuture.completedFuture(node));
    }

    /** An engine over the given platforms that measures nothing: {@code auto} takes ptrace (tests, embedding). */
    public static SandboxEngine of(List<Platform> platforms) {
        return new SandboxEngine(platforms, new CompletableFuture<>());
    }

    /** An engine over the given platforms that takes {@code node} as this node's measurement (tests). */
    public static SandboxEngine of(List<Platform> platforms, NodeProbe.Measurement node) {
        return new SandboxEngine(platforms, CompletableFuture.completedFuture(node));
    }

    /** This node's measurement, empty while the probe still runs. */
    public Optional<NodeProbe.Measurement> nodeMeasurement() {
        return Optional.ofNullable(node.getNow(null));
    }

    /** Waits at most {@code timeout} for this node's measurement; empty if it is not in by then. */
    public Optional<NodeProbe.Measurement> awaitNodeMeasurement(Duration timeout) throws InterruptedException {
        try {
            return Optional.of(node.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException | ExecutionException e) {
            return Optional.empty();
        }
    }

    public List<Platform> platforms() {
        return platforms;
    }

    public Optional<Platform> platform(String name) {
        return platforms.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** The platform that would run this spec; throws {@link SandboxException} saying why none can. */
    public Platform resolve(SandboxSpec spec) {
        return decide(spec).platform();
    }

    /** The platform that would run this spec and why, in one line; throws {@link SandboxException} saying why none can. */
    public Decision decide(SandboxSpec spec) {
        return switch (spec.platform()) {
            case PTRACE -> new Decision(usable("ptrace", spec), "asked for ptrace");
            case KVM -> new Decision(usable("kvm", spec), "asked for kvm");
            case AUTO -> {
                AutoChoice.Choice c = AutoChoice.choose(spec, platform("ptrace"), platform("kvm"), node.getNow(null));
                yield new Decision(usable(c.platform(), spec), c.reason());
            }
        };
    }

    /** A platform chosen for a spec, and the reason its results carry ({@link SandboxResult#platformReason}). */
    public record Decision(Platform platform, String reason) {
    }

    private Platform usable(String name, SandboxSpec spec) {
        Platform p = platform(name).orElseThrow(
                () -> new SandboxException("platform " + name + " is not offered here (not part of this build, or not among this node's platforms)"));
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

    /** Starts a sandbox on the platform {@link #decide} picks; its result says which and why. */
    public Sandbox start(SandboxSpec spec) {
        Decision d = decide(spec);
        return new ReasonedSandbox(d.platform().start(spec), d.reason());
    }
}
