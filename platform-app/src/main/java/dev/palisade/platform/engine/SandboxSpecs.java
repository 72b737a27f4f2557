package dev.palisade.platform.engine;

import dev.palisade.platform.egress.EgressAllowlist;
import dev.palisade.platform.config.PalisadeProperties;
import dev.palisade.platform.dispatch.WorkloadStore;
import dev.palisade.platform.dispatch.WorkloadStore.Claimed;
import dev.palisade.platform.image.Images;
import dev.palisade.platform.secret.SecretFiles;
import dev.palisade.platform.secret.SecretVault;
import dev.palisade.platform.volume.VolumeDisk;
import dev.palisade.platform.volume.VolumeStore;
import dev.palisade.platform.workload.Archives;
import dev.palisade.platform.workload.WorkloadProperties;
import dev.palisade.sandbox.FileTrees;
import dev.palisade.sandbox.Limits;
import dev.palisade.sandbox.PlatformChoice;
import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one place a claimed workload becomes a {@link SandboxSpec}, for jobs and services alike:
 * a fresh workspace under {@code <data-dir>/work/<id>} (bounded, see {@link Workspaces}) with the input unpacked and owned by the
 * tenant's uid, the stored command, environment, limits and platform, the image's root and the
 * tenant's identity (a service's input is its code, unpacked read-only at {@code /app}), and its secrets (opened here, each read audited: as environment variables,
 * or as files bound read-only at {@code /run/secrets}). A service differs only in its limits (a CPU rate in cores instead of
 * a CPU-time total, no wall or output limit: it runs until stopped, is charged as it runs, and its log is capped by the
 * log sink) and its network (a loopback of its own to listen on).
 */
@Component
public class SandboxSpecs {

    private static final Logger log = LoggerFactory.getLogger(SandboxSpecs.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<Map<String, Long>> LIMITS = new TypeReference<>() { };
    private static final TypeReference<List<String>> COMMAND = new TypeReference<>() { };
    private static final TypeReference<Map<String, String>> ENVIRONMENT = new TypeReference<>() { };

    private final WorkloadStore store;
    private final Images images;
    private final TenantIdentity identity;
    private final WorkloadProperties properties;
    private final Workspaces workspaces;
    private final Path dataDir;
    private final Path workRoot;
    private final SecretVault secrets;
    private final SecretFiles secretFiles;
    private final VolumeStore volumes;
    private final VolumeDisk volumeDisk;
    private final EgressAllowlist egress;

    SandboxSpecs(WorkloadStore store, Images images, TenantIdentity identity, WorkloadProperties properties,
            Workspaces workspaces, PalisadeProperties palisade, SecretVault secrets, SecretFiles secretFiles,
            VolumeStore volumes, VolumeDisk volumeDisk, EgressAllowlist egress) {
        this.store = store;
        this.volumes = volumes;
        this.volumeDisk = volumeDisk;
        this.egress = egress;
        this.secrets = secrets;
        this.secretFiles = secretFiles;
        this.workspaces = workspaces;
        this.images = images;
        this.identity = identity;
        this.properties = properties;
        this.dataDir = palisade.dataDir().toAbsolutePath().normalize();
        this.workRoot = dataDir.resolve("work");
    }

    /** What a claimed workload runs as, and the cap on the log it writes. */
    public record Prepared(SandboxSpec spec, long outputBytes) {
    }

    /** Where a service's code archive is unpacked, read-only, in its sandbox (and its working directory). */
    public static final String APP = "/app";

    private Path appDir(UUID workload) {
        return workRoot.resolve(workload + ".app");
    }

    /** The workload's workspace directory (whether or not it exists yet). */
    public Path workspace(UUID workload) {
        return workRoot.resolve(workload.toString());
    }

    /** Removes the workload's workspace and secret files once its run is over; a failure is logged, not thrown. */
    public void removeWorkspace(UUID workload) {
        secretFiles.remove(workload);
        volumeDisk.release(workload);
        FileTrees.delete(appDir(workload));
        Path ws = workspace(workload);
        try {
            workspaces.remove(ws);
        } catch (RuntimeException e) {
            log.warn("Could not remove the workspace {}: {}", ws, e.toString());
        }
    }

    /**
     * What the workload's record says when its sandbox could not even run: our own messages as
     * they are, others with their kind. The tenant reads it, so no host path stays in it: its
     * workspace reads {@code /workspace}, anything else under the data directory {@code <data>}.
     */
    public String failure(UUID workload, Exception e) {
        String message = e instanceof Archives.ArchiveException || e instanceof SandboxException
                || e instanceof SecretVault.MissingSecretException || e instanceof MountProblem
                ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message
                .replace(workspace(workload).toString(), "/workspace")
                .replace(dataDir.toString(), "<data>");
    }

    /** A job: runs to completion within its CPU-time, wall and output limits, with no network unless it asked for one. */
    public Prepared job(Claimed c) throws IOException {
        return prepare(c, false, 0);
    }

    /**
     * A service: runs until stopped, with a loopback of its own unless it asked for another network,
     * at most {@code cpuMillicores} thousandths of a core however long it runs (the per-run CPU-time
     * ceiling is a job's).
     */
    public Prepared service(Claimed c, long cpuMillicores) throws IOException {
        return prepare(c, true, cpuMillicores);
    }

    private Prepared prepare(Claimed c, boolean service, long cpuMillicores) throws IOException {
        Path ws = workspace(c.id());
        int uid = identity.uid(c.tenantId());
        Map<String, Long> l = JSON.readValue(c.limits(), LIMITS);
        long output = l.getOrDefault("outputBytes", Limits.DEFAULT.outputBytes());
        long disk = workspaces.open(ws, c.storageBytes());
        Path app = null;
        if (c.hasInput()) {
            byte[] input = store.file(c.id(), "input").orElse(new byte[0]);
            // a job's input is its workspace's first content; a service's is its code, read-only at /app
            app = service ? appDir(c.id()) : null;
            if (app != null) {
                FileTrees.delete(app);
            }
            Archives.extract(input, app != null ? app : ws, properties.maxInputEntries(), properties.maxInputExpanded().toBytes());
            if (app != null) {
                Archives.chown(app, uid, uid);
            }
        }
        Archives.chown(ws, uid, uid);
        Limits limits = new Limits(
                service ? 0 : l.getOrDefault("cpuMillis", Limits.DEFAULT.cpuMillis()),
                service ? 0 : l.getOrDefault("wallMillis", Limits.DEFAULT.wallMillis()),
                l.getOrDefault("memoryBytes", Limits.DEFAULT.memoryBytes()),
                l.getOrDefault("maxProcesses", (long) Limits.DEFAULT.maxProcesses()).intValue(),
                Limits.DEFAULT.fileSizeBytes(),
                // no output limit: the log keeps a job's head and tail within its cap (a service's newest lines)
                0).withDiskBytes(disk).withCpuMillicores(service ? cpuMillicores : 0);
        SandboxSpec.Builder spec = SandboxSpec.builder(JSON.readValue(c.command(), COMMAND))
                .environment(JSON.readValue(c.env(), ENVIRONMENT))
                .workspace(ws)
                .limits(limits)
                .platform(PlatformChoice.valueOf(c.platform().toUpperCase(Locale.ROOT)))
                .identity(uid, uid);
        EgressAllowlist.Network network = egress.forWorkload(c.network(), c.tenantId(), service);
        spec.network(network.policy()).egress(network.rules());
        Path root = images.root(c.tenantId(), c.image()).orElse(null);
        if (root != null) {
            spec.root(root);
            String workdir = images.config(c.tenantId(), c.image()).workingDir();
            if (workdir != null) {
                spec.workdir(workdir);
            }
        }
        if (app != null) {
            spec.bind(new SandboxSpec.Bind(app, APP, true)).workdir(APP);
        }
        addSecrets(c, spec, root, uid);
        addVolumes(c, spec, root, uid);
        return new Prepared(spec.build(), output);
    }

    /** The workload's volumes, mounted on this node (their home) and bound at their paths. */
    private void addVolumes(Claimed c, SandboxSpec.Builder spec, Path root, int uid) throws IOException {
        for (VolumeStore.Attached a : volumes.mounts(c.id())) {
            if (root != null) {
                // the engine makes the mount point inside the image: a link on the way would aim the bind elsewhere
                Path p = root;
                for (String part : a.path().substring(1).split("/")) {
                    p = p.resolve(part);
                    if (Files.isSymbolicLink(p)) {
                        throw new MountProblem("the image's " + a.path() + " goes through a symbolic link: volume '"
                                + a.volume().name() + "' cannot be mounted there");
                    }
                }
            }
            Path dir = volumeDisk.open(a.volume(), uid, c.id());
            spec.bind(new SandboxSpec.Bind(dir, a.path(), a.readOnly()));
        }
    }

    /** A secret or a volume could not be given to the sandbox as asked; the message names it, never a value. */
    static final class MountProblem extends IOException {
        MountProblem(String message) {
            super(message);
        }
    }

    private void addSecrets(Claimed c, SandboxSpec.Builder spec, Path root, int uid) throws IOException {
        List<SecretVault.Resolved> resolved = secrets.resolve(c.id(), c.tenantId(), c.tenantSlug());
        for (SecretVault.Resolved r : resolved) {
            if (!r.ref().asFile()) {
                spec.env(r.ref().env(), new String(r.value(), StandardCharsets.UTF_8));
            }
        }
        if (root != null && resolved.stream().anyMatch(r -> r.ref().asFile())) {
            // the engine makes the mount point inside the image: a link there would aim the bind elsewhere
            for (String p : List.of("run", "run/secrets")) {
                if (Files.isSymbolicLink(root.resolve(p))) {
                    throw new MountProblem("the image's /" + p + " is a symbolic link: secret files cannot be mounted at "
                            + SecretFiles.MOUNT);
                }
            }
        }
        Path dir = secretFiles.write(c.id(), resolved, uid);
        if (dir != null) {
            spec.bind(new SandboxSpec.Bind(dir, SecretFiles.MOUNT, true));
        }
    }
}
