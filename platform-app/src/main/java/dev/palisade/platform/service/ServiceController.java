package dev.palisade.platform.service;

import dev.palisade.model.ConflictException;
import dev.palisade.model.NotFoundException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.service.RestartPolicy;
import dev.palisade.model.quota.QuotaService;
import dev.palisade.model.service.ServiceSpec;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.workload.AdmissionException;
import dev.palisade.model.workload.NewWorkload;
import dev.palisade.model.workload.Workload;
import dev.palisade.model.workload.WorkloadService.Admitted;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.dispatch.Dispatcher;
import dev.palisade.platform.dispatch.WorkloadStore;
import dev.palisade.platform.edge.AppsSite;
import dev.palisade.platform.image.Images;
import dev.palisade.platform.ingress.IngressStats;
import dev.palisade.platform.secret.SecretRef;
import dev.palisade.platform.secret.SecretVault;
import dev.palisade.platform.security.Caller;
import dev.palisade.platform.volume.VolumeMount;
import dev.palisade.platform.volume.VolumeStore;
import dev.palisade.platform.workload.WorkloadSubmissions;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;
import tools.jackson.databind.json.JsonMapper;

/**
 * Hosted services through the REST API: deploy (a new deployment of a name that runs already is
 * a redeploy: the old one stops once the new one is healthy), list, show, stop, start. A
 * deployment is a workload of kind SERVICE; its log, cancel and result are the workload's.
 */
@RestController
@RequestMapping("/api/v1/tenants/{tenant}/services")
@Tag(name = "Services", description = "long-running workloads reachable over HTTP at {service}.{tenant}.<apps domain>")
class ServiceController {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final TenantAccess access;
    private final WorkloadSubmissions submissions;
    private final WorkloadStore store;
    private final ServiceStore services;
    private final ServiceDeployer deployer;
    private final SecretVault secrets;
    private final Images images;
    private final Dispatcher dispatcher;
    private final TransactionTemplate tx;
    private final AuditLog audit;
    private final IngressStats stats;
    private final AppsSite apps;
    private final VolumeStore volumes;
    private final ServiceProperties properties;
    private final QuotaService quotas;

    ServiceController(TenantAccess access, WorkloadSubmissions submissions, WorkloadStore store, ServiceStore services,
            ServiceDeployer deployer, SecretVault secrets, Images images, Dispatcher dispatcher, TransactionTemplate tx,
            AuditLog audit, IngressStats stats, AppsSite apps, VolumeStore volumes, ServiceProperties properties,
            QuotaService quotas) {
        this.properties = properties;
        this.quotas = quotas;
        this.apps = apps;
        this.volumes = volumes;
        this.images = images;
        this.access = access;
        this.submissions = submissions;
        this.store = store;
        this.services = services;
        this.deployer = deployer;
        this.secrets = secrets;
        this.dispatcher = dispatcher;
        this.tx = tx;
        this.audit = audit;
        this.stats = stats;
    }

    /** A deployment request: a workload spec plus what makes it a service. */
    @Schema(description = "A service to deploy: a workload spec plus the port it listens on, a restart policy and a "
            + "health path", example = """
            {"name": "web", "command": ["python3", "-m", "http.server", "8000", "--bind", "127.0.0.1"], "port": 8000,
             "restartPolicy": "ALWAYS", "healthPath": "/", "volumes": [{"volume": "data", "path": "/data"}]}""")
    record Deploy(String name, String image, List<String> command, Map<String, String> env, String platform,
            @Schema(description = "memoryBytes and maxProcesses as a job's; cpuMillis, the per-run CPU-time ceiling, "
                    + "applies to jobs only (a service is limited by cpuCores)")
            WorkloadSubmissions.Limits limits, Integer port, String restartPolicy, String healthPath,
            List<SecretRef> secrets, List<VolumeMount> volumes,
            @Schema(description = "the sandbox's network: loopback (default: its own only), egress (also the public"
                    + " internet and the tenant's egress allowlist; ptrace platform only) or none",
                    allowableValues = {"none", "loopback", "egress"}) String network,
            @Schema(description = "the CPU rate it may use, in cores (0.5: half of one), however long it runs; "
                    + "default palisade.services.default-cpu-cores", example = "0.5") Double cpuCores,
            @Schema(description = "0: scale to zero, stopped (and not charged) after idleTimeoutSeconds without a "
                    + "request and started by the next one; 1: always running", defaultValue = "1",
                    minimum = "0", maximum = "1") Integer minInstances,
            @Schema(description = "with minInstances 0: seconds without a request after which it is stopped, 1 to "
                    + "86400", defaultValue = "300", example = "300") Integer idleTimeoutSeconds,
            @Schema(description = "how many instances run, spread across worker nodes, requests going to the healthy "
                    + "one with the fewest in flight; at most the tenant's concurrent-workload quota (a redeploy "
                    + "replaces them one at a time and needs one slot more)", defaultValue = "1", minimum = "1",
                    example = "3") Integer instances) {
    }

    record ServiceResponse(String tenant, String name, String url, UUID workloadId, String kind, String state,
            String status, int port, String restartPolicy, String healthPath, int restarts, String lastExit,
            String node, Instant createdAt, Instant healthyAt, IngressStats.Snapshot requests, List<SecretRef> secrets,
            String image, String archiveDigest, String deployedBy, List<VolumeMount> volumes, String message,
            @Schema(description = "the CPU rate it may use, in cores") double cpuCores, int minInstances,
            @Schema(description = "with minInstances 0: seconds without a request before it is stopped")
            Integer idleTimeoutSeconds,
            @Schema(description = "how many instances it runs") int instances,
            @Schema(description = "how many of its instances are healthy now") int healthyInstances) {

        /** {@code showNode}: the node it runs on, for a platform admin only. */
        static ServiceResponse of(ServiceStore.Deployment d, IngressStats stats, AppsSite apps, boolean showNode,
                List<SecretRef> secrets, List<VolumeMount> volumes, String message, ServiceProperties properties,
                int healthyInstances) {
            ServiceSpec spec = d.spec();
            return new ServiceResponse(d.tenantSlug(), d.spec().name(), apps.url(d.tenantSlug(), d.spec().name()),
                    d.workloadId(), "SERVICE", d.workloadState(), d.status().name(), d.spec().port(),
                    d.spec().restartPolicy().name(), d.spec().healthPath(), d.restarts(), d.lastExit(),
                    showNode ? d.node() : null,
                    d.createdAt(), d.healthyAt(), stats.snapshot(d.tenantSlug(), d.spec().name()), secrets, d.image(),
                    d.archiveDigest(), d.deployedBy(), volumes, message, properties.cpuMillicores(spec.cpuMillicores()) / 1000.0,
                    spec.minInstances(), spec.scalesToZero() ? spec.idleTimeoutSeconds() : null, spec.instances(),
                    healthyInstances);
        }
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "deployService", summary = "Deploy or redeploy a service", description = DEPLOY)
    @ApiResponse(responseCode = "201", description = "Deployed",
            content = @Content(schema = @Schema(implementation = ServiceResponse.class)))
    @ApiResponse(responseCode = "422", ref = "OverQuota")
    @ApiResponse(responseCode = "429", ref = "QuotaBusy")
    ResponseEntity<?> deploy(Caller caller, @PathVariable("tenant") String slug, @RequestBody Deploy body) {
        return deploy(caller, slug, body, null);
    }

    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @Operation(operationId = "deployService", summary = "Deploy or redeploy a service", description = DEPLOY)
    @ApiResponse(responseCode = "201", description = "Deployed",
            content = @Content(schema = @Schema(implementation = ServiceResponse.class)))
    @ApiResponse(responseCode = "422", ref = "OverQuota")
    @ApiResponse(responseCode = "429", ref = "QuotaBusy")
    ResponseEntity<?> deployArchive(Caller caller, @PathVariable("tenant") String slug,
            @RequestPart("spec") String spec, @RequestPart("archive") MultipartFile archive) throws java.io.IOException {
        Deploy body;
        try {
            body = JSON.readValue(spec, Deploy.class);
        } catch (RuntimeException e) {
            throw ApiProblems.badRequest("spec", "is not a valid service spec");
        }
        return deploy(caller, slug, body, archive.getBytes());
    }

    private static final String DEPLOY = "A workload spec plus port, restartPolicy (ALWAYS, ON_FAILURE, NEVER), "
            + "healthPath and secrets ([{name, env?}]: a secret with env is that variable, without it the file "
            + "/run/secrets/<name>); a name that runs already is redeployed (the old deployment stops once the new one "
            + "is healthy). Or as multipart/form-data with the parts spec (the same JSON) and archive (.tar.gz or "
            + ".zip), unpacked read-only at /app, the working directory (e.g. a command [\"python3\", \"app.py\"]; "
            + "counted against storage as a job's input is), and volumes ([{volume, path, readOnly?}]: the tenant's "
            + "volumes mounted at those paths; the service then runs on the node that holds them). Counts against the "
            + "concurrency quota while it runs.";

    ResponseEntity<?> deploy(Caller caller, String slug, Deploy body, byte[] archive) {
        Tenant tenant = access.visible(caller, slug);
        if (body == null) {
            throw ApiProblems.badRequest("spec", "is required");
        }
        if (archive != null) {
            submissions.validateArchive("archive", archive);
        }
        ServiceSpec spec = spec(body, images.config(tenant.getId(), body.image() == null ? Images.HOST : body.image())
                .exposedPort(), properties);
        if (body.limits() != null && body.limits().cpuMillis() != null) {
            throw ApiProblems.badRequest("limits.cpuMillis", "the per-run CPU-time ceiling applies to jobs only: a "
                    + "service is limited by cpuCores, a rate, and charged as it runs");
        }
        NewWorkload w = submissions.validate(tenant, new WorkloadSubmissions.Spec(body.name(), body.image(), body.command(),
                body.env(), body.platform(), body.limits(), 1, null, null, body.network()));
        List<SecretRef> refs = submissions.validateSecrets(tenant, body.secrets());
        List<VolumeStore.Attached> mounts = submissions.validateVolumes(tenant, body.volumes());
        if (spec.instances() > 1 && !mounts.isEmpty()) {
            throw ApiProblems.badRequest("instances", "a service with volumes runs one instance: a volume lives on one "
                    + "node and is written by one program");
        }
        int slots = quotas.get(tenant).limits().maxConcurrentWorkloads();
        if (spec.instances() > slots) {
            throw ApiProblems.badRequest("instances", "at most " + slots + ", the tenant's concurrent-workload quota");
        }
        return answer(caller, slug, spec, deployer.deploy(caller.username(), tenant, spec, w, refs, mounts, archive, null));
    }

    /** A roll back's target: a deployment (its workload id) of the service; none, the one before. */
    @Schema(name = "ServiceRollBack", description = "The deployment to roll back to; none: the one before")
    record RollBack(UUID deployment) {
    }

    @PostMapping("/{name}/redeploy")
    @Operation(operationId = "redeployService", summary = "Redeploy a service as it is", description = "A new "
            + "deployment with the newest one's image, code, spec and secrets; the current one stops once it is healthy.")
    @ApiResponse(responseCode = "201", description = "Redeployed",
            content = @Content(schema = @Schema(implementation = ServiceResponse.class)))
    @ApiResponse(responseCode = "422", ref = "OverQuota")
    @ApiResponse(responseCode = "429", ref = "QuotaBusy")
    ResponseEntity<?> redeploy(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        ServiceStore.Deployment d = newest(tenant, name);
        return answer(caller, slug, d.spec(), deployer.again(caller.username(), tenant, d, "redeploy"));
    }

    @org.springframework.web.bind.annotation.DeleteMapping("/{name}")
    @Operation(operationId = "deleteService", summary = "Delete a stopped service", description = "With every "
            + "deployment, its log and code; 409 while a deployment is queued or running.")
    @ApiResponse(responseCode = "204", description = "Deleted")
    ResponseEntity<Void> delete(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        for (ServiceStore.Deployment d : services.history(tenant.getId(), name)) {
            if (d.workloadState().equals("QUEUED") || d.workloadState().equals("RUNNING")) {
                throw new ConflictException("service '" + name + "' is " + d.workloadState().toLowerCase(Locale.ROOT)
                        + "; stop it first");
            }
        }
        newest(tenant, name);
        tx.executeWithoutResult(status -> {
            int n = services.delete(tenant.getId(), name);
            audit.record(caller.username(), tenant, "service.delete", "service:" + name, Map.of("deployments", n));
        });
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/{name}/rollback")
    @Operation(operationId = "rollBackService", summary = "Roll back to an earlier deployment", description = "{deployment: "
            + "workloadId} from /deployments, or no body: the newest earlier one that was healthy. A new deployment with "
            + "its image, code, spec and secrets; the current one stops once it is healthy.")
    @ApiResponse(responseCode = "201", description = "Rolled back: the new deployment",
            content = @Content(schema = @Schema(implementation = ServiceResponse.class)))
    @ApiResponse(responseCode = "422", ref = "OverQuota")
    @ApiResponse(responseCode = "429", ref = "QuotaBusy")
    ResponseEntity<?> rollBack(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name,
            @RequestBody(required = false) RollBack body) {
        Tenant tenant = access.visible(caller, slug);
        ServiceStore.Deployment current = newest(tenant, name);
        return answer(caller, slug, current.spec(), deployer.rollBack(caller.username(), tenant, name,
                body == null ? null : body.deployment()));
    }

    private ResponseEntity<?> answer(Caller caller, String slug, ServiceSpec spec, Admitted admitted) {
        Workload created = admitted.workload();
        AdmissionException refusal = admitted.refusal();
        if (refusal != null) {
            return ApiProblems.overQuota(refusal, Map.of());
        }
        ServiceStore.Deployment d = services.byWorkload(created.getId()).orElseThrow();
        return ResponseEntity.created(URI.create("/api/v1/tenants/" + slug + "/services/" + spec.name()))
                .body(response(caller, d));
    }

    /** The service part of a deploy; {@code exposedPort}: the image's, the port when none is given. */
    static ServiceSpec spec(Deploy body, Integer exposedPort, ServiceProperties properties) {
        Integer port = body.port() != null ? body.port() : exposedPort;
        if (port == null) {
            throw ApiProblems.badRequest("port", "is required: the port the program listens on inside the sandbox "
                    + "(the image exposes none)");
        }
        RestartPolicy policy;
        try {
            policy = body.restartPolicy() == null ? RestartPolicy.ALWAYS
                    : RestartPolicy.valueOf(body.restartPolicy().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiProblems.badRequest("restartPolicy", "must be ALWAYS, ON_FAILURE or NEVER");
        }
        int millicores = 0;
        if (body.cpuCores() != null) {
            double cores = body.cpuCores();
            if (!(cores >= 0.01 && cores <= properties.maxCpuCores())) {
                throw ApiProblems.badRequest("cpuCores", "between 0.01 and " + properties.maxCpuCores() + " cores");
            }
            millicores = (int) Math.round(cores * 1000);
        }
        if (body.idleTimeoutSeconds() != null && (body.minInstances() == null || body.minInstances() != 0)) {
            throw ApiProblems.badRequest("idleTimeoutSeconds", "applies with minInstances 0 only");
        }
        if (body.idleTimeoutSeconds() != null && body.idleTimeoutSeconds() < 1) {
            throw ApiProblems.badRequest("idleTimeoutSeconds", "between 1 and " + ServiceSpec.MAX_IDLE_TIMEOUT_SECONDS);
        }
        try {
            return new ServiceSpec(body.name(), port, policy, body.healthPath(), millicores,
                    body.minInstances() == null ? 1 : body.minInstances(),
                    body.idleTimeoutSeconds() == null ? 0 : body.idleTimeoutSeconds(),
                    body.instances() == null ? 1 : body.instances());
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            int colon = m.indexOf(':');
            throw ApiProblems.badRequest(colon > 0 ? m.substring(0, colon) : "spec", colon > 0 ? m.substring(colon + 2) : m);
        }
    }

    @GetMapping
    @Operation(operationId = "listServices", summary = "List services",
            description = "The newest deployment of each, with request counts.")
    List<ServiceResponse> list(Caller caller, @PathVariable("tenant") String slug) {
        Tenant tenant = access.visible(caller, slug);
        return services.latest(tenant.getId()).stream().map(d -> response(caller, d)).toList();
    }

    @GetMapping("/{name}")
    @Operation(operationId = "getService", summary = "A service",
            description = "Its newest deployment; every one in /deployments.")
    ServiceResponse get(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        return response(caller, newest(tenant, name));
    }

    @GetMapping("/{name}/deployments")
    @Operation(operationId = "listServiceDeployments", summary = "A service's deployments", description = "Newest first.")
    List<ServiceResponse> deployments(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        newest(tenant, name);
        return services.history(tenant.getId(), name).stream().map(d -> response(caller, d)).toList();
    }

    @PostMapping("/{name}/stop")
    @Operation(operationId = "stopService", summary = "Stop a service", description = "Every deployment of it that "
            + "is queued or running; the ingress answers 503 from then on.")
    ServiceResponse stop(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        newest(tenant, name);
        for (ServiceStore.Deployment d : services.history(tenant.getId(), name)) {
            if (d.workloadState().equals("QUEUED") || d.workloadState().equals("RUNNING")) {
                Optional<String> node = tx.execute(status -> {
                    services.lock(tenant.getId(), name);
                    Optional<String> n = store.cancel(d.workloadId(), tenant.getId());
                    n.ifPresent(x -> audit.record(caller.username(), tenant, "service.stop", "service:" + name,
                            Map.of("workload", d.workloadId())));
                    return n;
                });
                if (node.isPresent() && dispatcher.node().equals(node.get())) {
                    dispatcher.cancelLocal(d.workloadId());
                }
                // its other instances stop with it (each also sees on its own that its deployment stopped)
                for (UUID instance : services.runningInstances(d.workloadId())) {
                    store.cancel(instance, tenant.getId()).filter(dispatcher.node()::equals)
                            .ifPresent(here -> dispatcher.cancelLocal(instance));
                }
            }
        }
        return response(caller, newest(tenant, name));
    }

    @PostMapping("/{name}/start")
    @Operation(operationId = "startService", summary = "Start a stopped service",
            description = "A new deployment with the newest one's spec; 409 while one is queued or running.")
    @ApiResponse(responseCode = "201", description = "Started",
            content = @Content(schema = @Schema(implementation = ServiceResponse.class)))
    @ApiResponse(responseCode = "422", ref = "OverQuota")
    @ApiResponse(responseCode = "429", ref = "QuotaBusy")
    ResponseEntity<?> start(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        ServiceStore.Deployment d = newest(tenant, name);
        return answer(caller, slug, d.spec(), deployer.start(caller.username(), tenant, d));
    }

    private ServiceResponse response(Caller caller, ServiceStore.Deployment d) {
        return ServiceResponse.of(d, stats, apps, caller.isPlatformAdmin(), secrets.refs(d.workloadId()),
                volumes.refs(d.workloadId()), store.message(d.workloadId()), properties,
                services.healthyInstances(d.workloadId()));
    }

    private ServiceStore.Deployment newest(Tenant tenant, String name) {
        return services.history(tenant.getId(), name).stream().findFirst()
                .orElseThrow(() -> new NotFoundException("no service " + name));
    }
}
