package dev.palisade.platform.service;

import dev.palisade.model.ConflictException;
import dev.palisade.model.NotFoundException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.service.RestartPolicy;
import dev.palisade.model.service.ServiceSpec;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.workload.AdmissionException;
import dev.palisade.model.workload.NewWorkload;
import dev.palisade.model.workload.Workload;
import dev.palisade.model.workload.WorkloadLimits;
import dev.palisade.model.workload.WorkloadService;
import dev.palisade.model.workload.WorkloadService.Admitted;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.dispatch.Dispatcher;
import dev.palisade.platform.dispatch.WorkloadStore;
import dev.palisade.platform.ingress.IngressStats;
import dev.palisade.platform.security.Caller;
import dev.palisade.platform.workload.WorkloadProperties;
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
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Hosted services through the REST API: deploy (a new deployment of a name that runs already is
 * a redeploy: the old one stops once the new one is healthy), list, show, stop, start. A
 * deployment is a workload of kind SERVICE; its log, cancel and result are the workload's.
 */
@RestController
@RequestMapping("/api/v1/tenants/{tenant}/services")
@Tag(name = "Services", description = "long-running workloads reachable over HTTP at /apps/{tenant}/{service}/")
class ServiceController {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final TenantAccess access;
    private final WorkloadSubmissions submissions;
    private final WorkloadService workloads;
    private final WorkloadStore store;
    private final ServiceStore services;
    private final Dispatcher dispatcher;
    private final WorkloadProperties properties;
    private final TransactionTemplate tx;
    private final AuditLog audit;
    private final IngressStats stats;

    ServiceController(TenantAccess access, WorkloadSubmissions submissions, WorkloadService workloads,
            WorkloadStore store, ServiceStore services, Dispatcher dispatcher, WorkloadProperties properties,
            TransactionTemplate tx, AuditLog audit, IngressStats stats) {
        this.access = access;
        this.submissions = submissions;
        this.workloads = workloads;
        this.store = store;
        this.services = services;
        this.dispatcher = dispatcher;
        this.properties = properties;
        this.tx = tx;
        this.audit = audit;
        this.stats = stats;
    }

    /** A deployment request: a workload spec plus what makes it a service. */
    @Schema(description = "A service to deploy: a workload spec plus the port it listens on, a restart policy and a "
            + "health path", example = """
            {"name": "web", "command": ["python3", "-m", "http.server", "8000", "--bind", "127.0.0.1"], "port": 8000,
             "restartPolicy": "ALWAYS", "healthPath": "/"}""")
    record Deploy(String name, String image, List<String> command, Map<String, String> env, String platform,
            WorkloadSubmissions.Limits limits, Integer port, String restartPolicy, String healthPath) {
    }

    record ServiceResponse(String tenant, String name, String url, UUID workloadId, String kind, String state,
            String status, int port, String restartPolicy, String healthPath, int restarts, String lastExit,
            String node, Instant createdAt, Instant healthyAt, IngressStats.Snapshot requests) {

        static ServiceResponse of(ServiceStore.Deployment d, IngressStats stats) {
            return new ServiceResponse(d.tenantSlug(), d.spec().name(), "/apps/" + d.tenantSlug() + "/" + d.spec().name() + "/",
                    d.workloadId(), "SERVICE", d.workloadState(), d.status().name(), d.spec().port(),
                    d.spec().restartPolicy().name(), d.spec().healthPath(), d.restarts(), d.lastExit(), d.node(),
                    d.createdAt(), d.healthyAt(), stats.snapshot(d.tenantSlug(), d.spec().name()));
        }
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "deployService", summary = "Deploy or redeploy a service", description = "A workload "
            + "spec plus port, restartPolicy (ALWAYS, ON_FAILURE, NEVER) and healthPath; a name that runs already is "
            + "redeployed (the old deployment stops once the new one is healthy). Counts against the concurrency "
            + "quota while it runs.")
    @ApiResponse(responseCode = "201", description = "Deployed",
            content = @Content(schema = @Schema(implementation = ServiceResponse.class)))
    @ApiResponse(responseCode = "422", ref = "OverQuota")
    @ApiResponse(responseCode = "429", ref = "QuotaBusy")
    ResponseEntity<?> deploy(Caller caller, @PathVariable("tenant") String slug, @RequestBody Deploy body) {
        Tenant tenant = access.visible(caller, slug);
        if (body == null) {
            throw ApiProblems.badRequest("spec", "is required");
        }
        ServiceSpec spec = spec(body);
        NewWorkload w = submissions.validate(new WorkloadSubmissions.Spec(body.name(), body.image(), body.command(),
                body.env(), body.platform(), body.limits(), 1));
        return deploy(caller, slug, tenant, spec, w);
    }

    private ResponseEntity<?> deploy(Caller caller, String slug, Tenant tenant, ServiceSpec spec, NewWorkload w) {
        Admitted admitted = tx.execute(status -> {
            Admitted a = workloads.submit(caller.username(), tenant, w, 0, properties.maxQueuedPerTenant());
            if (a.refusal() == null) {
                services.insert(a.workload().getId(), tenant.getId(), spec);
                audit.record(caller.username(), tenant, "service.deploy", "service:" + spec.name(),
                        "workload=" + a.workload().getId() + " port=" + spec.port());
            }
            return a;
        });
        Workload created = admitted.workload();
        AdmissionException refusal = admitted.refusal();
        if (refusal != null) {
            return ApiProblems.overQuota(refusal, Map.of());
        }
        dispatcher.wake();
        ServiceStore.Deployment d = services.byWorkload(created.getId()).orElseThrow();
        return ResponseEntity.created(URI.create("/api/v1/tenants/" + slug + "/services/" + spec.name()))
                .body(ServiceResponse.of(d, stats));
    }

    private static ServiceSpec spec(Deploy body) {
        if (body.port() == null) {
            throw ApiProblems.badRequest("port", "is required: the port the program listens on inside the sandbox");
        }
        RestartPolicy policy;
        try {
            policy = body.restartPolicy() == null ? RestartPolicy.ALWAYS
                    : RestartPolicy.valueOf(body.restartPolicy().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiProblems.badRequest("restartPolicy", "must be ALWAYS, ON_FAILURE or NEVER");
        }
        try {
            return new ServiceSpec(body.name(), body.port(), policy, body.healthPath());
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
        return services.latest(tenant.getId()).stream().map(d -> ServiceResponse.of(d, stats)).toList();
    }

    @GetMapping("/{name}")
    @Operation(operationId = "getService", summary = "A service",
            description = "Its newest deployment; every one in /deployments.")
    ServiceResponse get(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        return ServiceResponse.of(newest(tenant, name), stats);
    }

    @GetMapping("/{name}/deployments")
    @Operation(operationId = "listServiceDeployments", summary = "A service's deployments", description = "Newest first.")
    List<ServiceResponse> deployments(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        newest(tenant, name);
        return services.history(tenant.getId(), name).stream().map(d -> ServiceResponse.of(d, stats)).toList();
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
                    Optional<String> n = store.cancel(d.workloadId(), tenant.getId());
                    n.ifPresent(x -> audit.record(caller.username(), tenant, "service.stop", "service:" + name,
                            "workload=" + d.workloadId()));
                    return n;
                });
                if (node.isPresent() && dispatcher.node().equals(node.get())) {
                    dispatcher.cancelLocal(d.workloadId());
                }
            }
        }
        return ServiceResponse.of(newest(tenant, name), stats);
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
        if (d.workloadState().equals("QUEUED") || d.workloadState().equals("RUNNING")) {
            throw new ConflictException("service '" + name + "' is already " + d.workloadState().toLowerCase(Locale.ROOT));
        }
        Workload old = workloads.get(tenant, d.workloadId());
        Map<String, Long> l = JSON.readValue(old.getLimits(), new TypeReference<Map<String, Long>>() { });
        WorkloadLimits limits = new WorkloadLimits(l.get("cpuMillis"), l.get("wallMillis"), l.get("memoryBytes"),
                l.get("maxProcesses") == null ? null : l.get("maxProcesses").intValue(), l.get("outputBytes"));
        NewWorkload w = new NewWorkload(old.getName(), old.getImage(), old.getCommand(), old.getEnv(), old.getPlatform(),
                limits, 1);
        return deploy(caller, slug, tenant, d.spec(), w);
    }

    private ServiceStore.Deployment newest(Tenant tenant, String name) {
        return services.history(tenant.getId(), name).stream().findFirst()
                .orElseThrow(() -> new NotFoundException("no service " + name));
    }
}
