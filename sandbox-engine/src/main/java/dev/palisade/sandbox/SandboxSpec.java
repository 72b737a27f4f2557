package dev.palisade.sandbox;

import dev.palisade.sandbox.egress.EgressRules;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the engine needs to start one sandbox. Immutable; build with {@link #builder(List)}.
 *
 * @param command     program and arguments; the program is resolved inside the sandbox's root
 * @param environment the whole environment of the program: nothing of the caller's leaks in
 * @param root        read-only root filesystem, or {@code null} for the host userland with secrets left out
 * @param binds       extra host directories made visible inside
 * @param workspace   host directory mounted writable at {@code /workspace}, or {@code null} for a fresh temporary one
 * @param workdir     working directory inside the sandbox
 * @param limits      resource limits enforced while it runs
 * @param network     network policy
 * @param platform    which platform runs it
 * @param trace       print every trapped system call and the Sentry's decision to the trace sink
 * @param identity    the unprivileged uid/gid the program runs as, or {@code null} for the platform's default
 *                    (the ptrace platform honours it; the KVM platform has no host identity to change)
 * @param egress      what {@link NetworkPolicy#EGRESS} allows beyond the public internet, and its bounds
 *                    (ignored by the other policies; {@link EgressRules#DEFAULT} when {@code null})
 */
public record SandboxSpec(
        List<String> command,
        Map<String, String> environment,
        Path root,
        List<Bind> binds,
        Path workspace,
        String workdir,
        Limits limits,
        NetworkPolicy network,
        PlatformChoice platform,
        boolean trace,
        Identity identity,
        EgressRules egress) {

    public SandboxSpec {
        Objects.requireNonNull(command, "command");
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command must name a program");
        }
        command = List.copyOf(command);
        environment = Map.copyOf(environment == null ? Map.of() : environment);
        binds = List.copyOf(binds == null ? List.of() : binds);
        workdir = workdir == null ? "/workspace" : workdir;
        limits = limits == null ? Limits.DEFAULT : limits;
        network = network == null ? NetworkPolicy.NONE : network;
        platform = platform == null ? PlatformChoice.AUTO : platform;
        egress = egress == null ? EgressRules.DEFAULT : egress;
    }

    /** The spec as before identities existed: the platform's default identity. */
    public SandboxSpec(List<String> command, Map<String, String> environment, Path root, List<Bind> binds,
            Path workspace, String workdir, Limits limits, NetworkPolicy network, PlatformChoice platform,
            boolean trace) {
        this(command, environment, root, binds, workspace, workdir, limits, network, platform, trace, null, null);
    }

    /** An unprivileged host identity for the program; never root. */
    public record Identity(int uid, int gid) {
        public Identity {
            if (uid <= 0 || gid <= 0) {
                throw new IllegalArgumentException("sandboxes never run as root");
            }
        }
    }

    public static Builder builder(List<String> command) {
        return new Builder(command);
    }

    /** A directory of the host made visible inside the sandbox. */
    public record Bind(Path hostPath, String sandboxPath, boolean readOnly) {
        public Bind {
            Objects.requireNonNull(hostPath, "hostPath");
            Objects.requireNonNull(sandboxPath, "sandboxPath");
            if (!sandboxPath.startsWith("/")) {
                throw new IllegalArgumentException("bind target must be absolute: " + sandboxPath);
            }
        }
    }

    public static final class Builder {
        private final List<String> command;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private final List<Bind> binds = new ArrayList<>();
        private Path root;
        private Path workspace;
        private String workdir;
        private Limits limits;
        private NetworkPolicy network;
        private PlatformChoice platform;
        private boolean trace;
        private Identity identity;
        private EgressRules egress;

        private Builder(List<String> command) {
            this.command = List.copyOf(command);
        }

        public Builder env(String key, String value) {
            environment.put(key, value);
            return this;
        }

        public Builder environment(Map<String, String> env) {
            environment.putAll(env);
            return this;
        }

        public Builder root(Path root) {
            this.root = root;
            return this;
        }

        public Builder bind(Bind bind) {
            binds.add(bind);
            return this;
        }

        public Builder workspace(Path workspace) {
            this.workspace = workspace;
            return this;
        }

        public Builder workdir(String workdir) {
            this.workdir = workdir;
            return this;
        }

        public Builder limits(Limits limits) {
            this.limits = limits;
            return this;
        }

        public Builder network(NetworkPolicy network) {
            this.network = network;
            return this;
        }

        public Builder platform(PlatformChoice platform) {
            this.platform = platform;
            return this;
        }

        public Builder trace(boolean trace) {
            this.trace = trace;
            return this;
        }

        /** Runs the program as this uid/gid instead of the platform's default. */
        public Builder identity(int uid, int gid) {
            this.identity = new Identity(uid, gid);
            return this;
        }

        /** What the egress policy allows beyond the public internet, and its bounds. */
        public Builder egress(EgressRules egress) {
            this.egress = egress;
            return this;
        }

        public SandboxSpec build() {
            return new SandboxSpec(command, environment, root, binds, workspace, workdir, limits, network, platform, trace,
                    identity, egress);
        }
    }
}
