package dev.palisade.platform.workload;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.palisade.sandbox.FileTrees;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.workload.NewWorkload;
import dev.palisade.model.workload.WorkloadLimits;
import dev.palisade.model.workload.WorkloadService;
import dev.palisade.model.workload.WorkloadService.Admitted;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.sandbox.platform.kvm.KvmPlatform;
import dev.palisade.platform.config.PalisadeProperties;
import dev.palisade.platform.dispatch.Dispatcher;
import dev.palisade.platform.dispatch.WorkloadStore;
import dev.palisade.platform.image.Images;
import dev.palisade.platform.image.TenantImages;
import dev.palisade.platform.secret.SecretRef;
import dev.palisade.platform.secret.SecretVault;
import dev.palisade.platform.volume.VolumeMount;
import dev.palisade.platform.volume.VolumeStore;
import io.swagger.v3.oas.annotations.media.Schema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Validates a submission (command, env, names bounded; input archive unpacked once to a
 * scratch directory so a hostile one is refused at submit with the reason), then admits and
 * queues it with its input in one transaction, and wakes this instance's worker.
 */
@Component
public class WorkloadSubmissions {

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    static final int MAX_ARGS = 256, MAX_ARG = 4096, MAX_ENV = 128, MAX_ENV_VALUE = 4096;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final WorkloadService workloads;
    private final WorkloadStore store;
    private final Images images;
    private final Dispatcher dispatcher;
    private final WorkloadProperties properties;
    private final TransactionTemplate tx;
    private final Path scratch;
    private final SecretVault secrets;
    private final VolumeStore volumes;

    WorkloadSubmissions(WorkloadService workloads, WorkloadStore store, Images images, Dispatcher dispatcher,
            WorkloadProperties properties, TransactionTemplate tx, PalisadeProperties palisade, SecretVault secrets,
            VolumeStore volumes) {
        this.secrets = secrets;
        this.volumes = volumes;
        this.workloads = workloads;
        this.store = store;
        this.images = images;
        this.dispatcher = dispatcher;
        this.properties = properties;
        this.tx = tx;
        this.scratch = palisade.dataDir().toAbsolutePath().normalize().resolve("work");
    }

    /** What a client sends; see ARCHITECTURE.md. {@code maxAttempts}: how often a lost worker's run is retried in all. */
    @Schema(name = "WorkloadSpec", description = "A workload to run: a command in an image, with its environment and limits")
    public record Spec(
            @Schema(description = "1 to 100 letters, digits, '.', '_' or '-'", example = "answer", defaultValue = "workload")
            String name,
            @Schema(description = "an image name from GET /api/v1/images", example = "host", defaultValue = "host")
            String image,
            @Schema(description = "the program and its arguments, no shell; may be left out on an image with an "
                    + "Entrypoint or Cmd", example = "[\"python3\", \"-c\", \"print(6*7)\"]")
            List<String> command,
            @Schema(description = "the program's environment, over the image's own; nothing else leaks in",
                    example = "{\"GREETING\": \"hello\"}")
            Map<String, String> env,
            @Schema(allowableValues = {"auto", "ptrace", "kvm"}, defaultValue = "auto") String platform,
            Limits limits,
            @Schema(description = "runs in all when a worker is lost, 1 to 10", defaultValue = "1", example = "1")
            Integer maxAttempts,
            @Schema(description = "the tenant's secrets it is given: with env that variable, without it the file "
                    + "/run/secrets/<name>")
            List<SecretRef> secrets,
            @Schema(description = "the tenant's volumes it mounts, each at a path, read-write or read-only")
            List<VolumeMount> volumes,
            @Schema(description = "the sandbox's network: none (no interface), loopback (its own only), egress (the public"
                    + " internet and the tenant's egress allowlist, nothing else; ptrace platform only). Default: none"
                    + " for a job, loopback for a service", allowableValues = {"none", "loopback", "egress"})
            String network) {

        /** A submission that is given no secrets. */
        public Spec(String name, String image, List<String> command, Map<String, String> env, String platform,
                Limits limits, Integer maxAttempts) {
            this(name, image, command, env, platform, limits, maxAttempts, null, null, null);
        }

        /** A submission with no volumes and its kind's default network. */
        public Spec(String name, String image, List<String> command, Map<String, String> env, String platform,
                Limits limits, Integer maxAttempts, List<SecretRef> secrets) {
            this(name, image, command, env, platform, limits, maxAttempts, secrets, null, null);
        }
    }

    /** Per-workload limits; one left out takes the tenant's quota ceiling, one above it is refused. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "WorkloadLimits", description = "Per-workload limits; one left out takes the tenant's ceiling")
    public record Limits(
            @Schema(example = "5000") Long cpuMillis,
            @Schema(example = "10000") Long wallMillis,
            @Schema(example = "268435456") Long memoryBytes,
            @Schema(example = "16") Integer maxProcesses,
            @Schema(description = "bytes of stdout and stderr kept", example = "65536") Long outputBytes) {
    }

    public Admitted submit(String actor, Tenant tenant, Spec spec, byte[] input) {
        NewWorkload w = validate(tenant, spec);
        List<SecretRef> refs = validateSecrets(tenant, spec.secrets());
        List<VolumeStore.Attached> mounts = validateVolumes(tenant, spec.volumes());
        if (input != null) {
            validateArchive("input", input);
        }
        Admitted admitted = tx.execute(status -> {
            Admitted a = workloads.submit(actor, tenant, w, input == null ? 0 : input.length,
                    properties.maxQueuedPerTenant());
            if (a.refusal() == null && input != null) {
                store.putFile(a.workload().getId(), "input", input);
            }
            if (a.refusal() == null) {
                secrets.attach(a.workload().getId(), refs);
                volumes.attach(a.workload().getId(), mounts);
            }
            return a;
        });
        if (admitted.refusal() == null) {
            dispatcher.wake();
        }
        return admitted;
    }

    /**
     * A job's input or a service's code archive ({@code field}): at most the input size, and
     * unpacked once to a scratch directory so that a hostile one is refused now with the reason.
     */
    public void validateArchive(String field, byte[] input) {
        if (input.length > properties.maxInputSize().toBytes()) {
            throw ApiProblems.badRequest(field, "larger than " + properties.maxInputSize().toBytes() + " bytes");
        }
        Path dir = scratch.resolve("check-" + UUID.randomUUID());
        try {
            Archives.extract(input, dir, properties.maxInputEntries(), properties.maxInputExpanded().toBytes());
        } catch (Archives.ArchiveException e) {
            throw ApiProblems.badRequest(field, e.getMessage());
        } finally {
            FileTrees.delete(dir);
        }
    }

    /**
     * The shape checks of a submission, also used for a service's deployment. On a tenant's own
     * image the image's config applies as Docker applies it: its Entrypoint, then the command
     * given or else its Cmd; its Env under the env given.
     */
    public NewWorkload validate(Tenant tenant, Spec s) {
        if (s == null) {
            throw ApiProblems.badRequest("spec", "is required");
        }
        String name = s.name() == null ? "workload" : s.name();
        if (!NAME.matcher(name).matches()) {
            throw ApiProblems.badRequest("name", "1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        String image = s.image() == null ? Images.HOST : s.image();
        if (image.length() > 100 || !images.exists(tenant.getId(), image)) {
            throw ApiProblems.badRequest("image", "no such image; see GET /api/v1/images");
        }
        TenantImages.ImageConfig config = images.config(tenant.getId(), image);
        List<String> command = config.command(s.command());
        if (command.isEmpty() || command.size() > MAX_ARGS) {
            throw ApiProblems.badRequest("command", "must have 1 to " + MAX_ARGS + " elements (the image has no "
                    + "Entrypoint or Cmd to run)");
        }
        for (int i = 0; i < command.size(); i++) {
            String arg = command.get(i);
            if (arg == null || arg.length() > MAX_ARG || arg.indexOf('\0') >= 0 || (i == 0 && arg.isBlank())) {
                throw ApiProblems.badRequest("command[" + i + "]", "must be a non-empty string of at most " + MAX_ARG
                        + " characters without NUL");
            }
        }
        Map<String, String> env = new java.util.LinkedHashMap<>(config.env());
        if (s.env() != null) {
            env.putAll(s.env());
        }
        if (env.size() > MAX_ENV) {
            throw ApiProblems.badRequest("env", "at most " + MAX_ENV + " variables");
        }
        env.forEach((k, v) -> {
            if (!ENV_KEY.matcher(k).matches()) {
                throw ApiProblems.badRequest("env", "variable names are letters, digits and '_', not starting with a digit");
            }
            if (v == null || v.length() > MAX_ENV_VALUE || v.indexOf('\0') >= 0) {
                throw ApiProblems.badRequest("env." + k, "at most " + MAX_ENV_VALUE + " characters without NUL");
            }
        });
        String platform = s.platform() == null ? "auto" : s.platform();
        if (!platform.matches("auto|ptrace|kvm")) {
            throw ApiProblems.badRequest("platform", "must be auto, ptrace or kvm");
        }
        String network = s.network();
        if (network != null && !network.matches("none|loopback|egress")) {
            throw ApiProblems.badRequest("network", "must be none, loopback or egress");
        }
        if ("egress".equals(network) && platform.equals("kvm")) {
            throw ApiProblems.badRequest("network", KvmPlatform.EGRESS_REFUSAL + "; ask for platform ptrace or auto");
        }
        int attempts = s.maxAttempts() == null ? 1 : s.maxAttempts();
        if (attempts < 1 || attempts > 10) {
            throw ApiProblems.badRequest("maxAttempts", "must be between 1 and 10");
        }
        Limits l = s.limits() == null ? new Limits(null, null, null, null, null) : s.limits();
        return new NewWorkload(name, image, JSON.writeValueAsString(command), JSON.writeValueAsString(env), platform,
                new WorkloadLimits(l.cpuMillis(), l.wallMillis(), l.memoryBytes(), l.maxProcesses(), l.outputBytes()),
                attempts, network);
    }

    /**
     * The secrets a submission asks for: well formed, at most {@value #MAX_ENV} of them, each an
     * existing secret of the tenant, and no file asked twice.
     */
    public List<SecretRef> validateSecrets(Tenant tenant, List<SecretRef> refs) {
        if (refs == null || refs.isEmpty()) {
            return List.of();
        }
        if (refs.size() > MAX_ENV) {
            throw ApiProblems.badRequest("secrets", "at most " + MAX_ENV + " references");
        }
        for (int i = 0; i < refs.size(); i++) {
            SecretRef r = refs.get(i);
            String problem = r == null ? "must be {\"name\": …, \"env\": …}" : r.problem();
            if (problem != null) {
                throw ApiProblems.badRequest("secrets[" + i + "]", problem);
            }
        }
        List<String> missing = this.secrets.missing(tenant.getId(), refs.stream().map(SecretRef::name).toList());
        if (!missing.isEmpty()) {
            throw ApiProblems.badRequest("secrets", "no secret named " + String.join(", ", missing)
                    + "; set it first with PUT /api/v1/tenants/" + tenant.getSlug() + "/secrets/{name}");
        }
        return List.copyOf(new java.util.LinkedHashSet<>(refs));
    }

    /** The most volumes one workload mounts. */
    static final int MAX_VOLUMES = 8;

    /**
     * The volumes a submission mounts: well formed, at most {@value #MAX_VOLUMES}, each an
     * existing volume of the tenant, at paths that do not overlap.
     */
    public List<VolumeStore.Attached> validateVolumes(Tenant tenant, List<VolumeMount> mounts) {
        if (mounts == null || mounts.isEmpty()) {
            return List.of();
        }
        if (mounts.size() > MAX_VOLUMES) {
            throw ApiProblems.badRequest("volumes", "at most " + MAX_VOLUMES + " volumes");
        }
        List<VolumeStore.Attached> out = new java.util.ArrayList<>();
        for (int i = 0; i < mounts.size(); i++) {
            VolumeMount m = mounts.get(i);
            String problem = m == null ? "must be {\"volume\": …, \"path\": …, \"readOnly\": …}" : m.problem();
            if (problem != null) {
                throw ApiProblems.badRequest("volumes[" + i + "]", problem);
            }
            for (VolumeStore.Attached before : out) {
                if (VolumeMount.overlap(before.path(), m.path())) {
                    throw ApiProblems.badRequest("volumes[" + i + "]", "path " + m.path() + " overlaps " + before.path());
                }
            }
            String field = "volumes[" + i + "]";
            VolumeStore.Volume v = volumes.find(tenant.getId(), m.volume()).orElseThrow(() -> ApiProblems.badRequest(
                    field, "no volume named " + m.volume() + "; create it first with POST /api/v1/tenants/"
                            + tenant.getSlug() + "/volumes"));
            out.add(new VolumeStore.Attached(v, m.path(), m.readOnlyOrFalse()));
        }
        return List.copyOf(out);
    }

    static Spec parse(String json) {
        try {
            return JSON.readValue(json, Spec.class);
        } catch (RuntimeException e) {
            throw ApiProblems.badRequest("spec", "is not a valid workload spec: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    static void ensureDir(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
