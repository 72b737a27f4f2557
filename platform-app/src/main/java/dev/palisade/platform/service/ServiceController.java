package dev.palisade.platform.service;

import dev.palisade.model.ConflictException;
import dev.palisade.model.NotFoundException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.service.RestartPolicy;
import dev.palisade.model.service.ServiceSpec;
import dev.palisade.model.service.ServiceStatus;
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
import dev.palisade.platform.edge.AppsSite;
import dev.palisade.platform.ingress.IngressStats;
import dev.palisade.platform.security.Caller;
import dev.palisade.platform.workload.WorkloadProperties;
import dev.palisade.platform.workload.WorkloadSubmissions;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
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
@Tag(name = "Services", description = "long-running workloads reachable over HTTP at {service}.{tenant}.<apps domain>")
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
    private final AppsSite apps;

    ServiceController(TenantAccess access, WorkloadSubmissions submissions, WorkloadService workloads,
            WorkloadStore store, ServiceStore services, Dispatcher dispatcher, WorkloadProperties properties,
            TransactionTemplate tx, AuditLog audit, IngressStats stats, AppsSite apps) {
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
        this.apps = apps;
    }

    /** A deployment request: a workload spec plus what makes it a service. */
    record Deploy(String name, String image, List<String> command, Map<String, String> env, String platform,
            WorkloadSubmissions.Limits limits, Integer port, String restartPolicy, String healthPath) {
    }

    record ServiceResponse(String tenant, String name, String url, UUID workloadId, String kind, String state,
            String status, int port, String restartPolicy, String healthPath, int restarts, String lastExit,
            String node, Instant createdAt, Instant healthyAt, IngressStats.Snapshot requests) {

        /** {@code showNode}: the node it runs on, for a platform admin only. */
        static ServiceResponse of(ServiceStore.Deployment d, IngressStats stats, AppsSite apps, boolean showNode) {
            return new ServiceResponse(d.tenantSlug(), d.spec().name(), apps.url(d.tenantSlug(), d.spec().name()),
                    d.workloadId(), "SERVICE", d.workloadState(), d.status().name(), d.spec().port(),
                    d.spec().restartPolicy().name(), d.spec().healthPath(), d.restarts(), d.lastExit(),
                    showNode ? d.node() : null,
                    d.createdAt(), d.healthyAt(), stats.snapshot(d.tenantSlug(), d.spec().name()));
        }
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Deploy or redeploy a service", description = "{name, image, command[], env{}, platform, "
            + "limits{}, port, restartPolicy: ALWAYS|ON_FAILURE|NEVER, healthPath}; counts against the concurrency "
            + "quota while it runs")
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
        return admit(caller, slug, tenant, spec.name(), true, newest -> new Launch(spec, w));
    }

    /** What a new deployment runs. */
    private record Launch(ServiceSpec spec, NewWorkload workload) {
    }

    /** Deployment statuses a redeploy may replace: one that serves, or one that keeps crashing. */
    private static final Set<ServiceStatus> REPLACEABLE = EnumSet.of(ServiceStatus.HEALTHY, ServiceStatus.BACKOFF,
            ServiceStatus.CRASH_LOOP);

    /**
     * Admits a new deployment of the service, one at a time per service: under the service's
     * lock, and only while no other deployment of it is on its way (queued, or running but not
     * yet healthy). A redeploy ({@code replacing}) may run beside the one deployment it replaces
     * (healthy, or crashing) until it turns healthy itself; a start only when none runs. Whoever
     * comes second gets 409, so that parallel deploys and starts never leave two deployments of
     * one service on their way.
     */
    private ResponseEntity<?> admit(Caller caller, String slug, Tenant tenant, String name, boolean replacing,
            Function<Optional<ServiceStore.Deployment>, Launch> launch) {
        Admitted admitted = tx.execute(status -> {
            services.lock(tenant.getId(), name);
            List<ServiceStore.Deployment> history = services.history(tenant.getId(), name);
            List<ServiceStore.Deployment> active = history.stream()
                    .filter(d -> d.workloadState().equals("QUEUED") || d.workloadState().equals("RUNNING")).toList();
            boolean replaceable = replacing && active.size() == 1 && active.get(0).workloadState().equals("RUNNING")
                    && REPLACEABLE.contains(active.get(0).status());
            if (!active.isEmpty() && !replaceable) {
                ServiceStore.Deployment on = active.get(0);
                throw new ConflictException("service '" + name + "' " + (replacing
                        ? "has a deployment on its way already (" + (on.workloadState().equals("QUEUED") ? "queued"
                                : on.status().name().toLowerCase(Locale.ROOT)) + "); deploy again once it is healthy, "
                                + "or stop the service first"
                        : "is already " + on.workloadState().toLowerCase(Locale.ROOT)));
            }
            Launch l = launch.apply(history.stream().findFirst());
            Admitted a = workloads.submit(caller.username(), tenant, l.workload(), 0, properties.maxQueuedPerTenant());
            if (a.refusal() == null) {
                services.insert(a.workload().getId(), tenant.getId(), l.spec());
                audit.record(caller.username(), tenant, "service.deploy", "service:" + name,
                        Map.of("workload", a.workload().getId(), "port", l.spec().port()));
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
        return ResponseEntity.created(URI.create("/api/v1/tenants/" + slug + "/services/" + name))
                .body(ServiceResponse.of(d, stats, apps, caller.isPlatformAdmin()));
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
    @Operation(summary = "List services", description = "the newest deployment of each, with request counts")
    List<ServiceResponse> list(Caller caller, @PathVariable("tenant") String slug) {
        Tenant tenant = access.visible(caller, slug);
        return services.latest(tenant.getId()).stream()
                .map(d -> ServiceResponse.of(d, stats, apps, caller.isPlatformAdmin())).toList();
    }

    @GetMapping("/{name}")
    @Operation(summary = "A service", description = "its newest deployment; ?history in /deployments")
    ServiceResponse get(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        return ServiceResponse.of(newest(tenant, name), stats, apps, caller.isPlatformAdmin());
    }

    @GetMapping("/{name}/deployments")
    List<ServiceResponse> deployments(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        newest(tenant, name);
        return services.history(tenant.getId(), name).stream()
                .map(d -> ServiceResponse.of(d, stats, apps, caller.isPlatformAdmin())).toList();
    }

    @PostMapping("/{name}/stop")
    @Operation(summary = "Stop a service", description = "every deployment of it that is queued or running; "
            + "the ingress answers 503 from then on")
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
            }
        }
        return ServiceResponse.of(newest(tenant, name), stats, apps, caller.isPlatformAdmin());
    }

    @PostMapping("/{name}/start")
    @Operation(summary = "Start a stopped service", description = "a new deployment with the newest one's spec; "
            + "409 while a deployment of it is queued or running")
    ResponseEntity<?> start(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        newest(tenant, name);
        return admit(caller, slug, tenant, name, false, newest -> relaunch(tenant, newest.orElseThrow()));
    }

    /** The newest deployment's spec and workload, again. */
    private Launch relaunch(Tenant tenant, ServiceStore.Deployment d) {
        Workload old = workloads.get(tenant, d.workloadId());
        Map<String, Long> l = JSON.readValue(old.getLimits(), new TypeReference<Map<String, Long>>() { });
        WorkloadLimits limits = new WorkloadLimits(l.get("cpuMillis"), l.get("wallMillis"), l.get("memoryBytes"),
                l.get("maxProcesses") == null ? null : l.get("maxProcesses").intValue(), l.get("outputBytes"));
        return new Launch(d.spec(), new NewWorkload(old.getName(), old.getImage(), old.getCommand(), old.getEnv(),
                old.getPlatform(), limits, 1));
    }

    private ServiceStore.Deployment newest(Tenant tenant, String name) {
        return services.history(tenant.getId(), name).stream().findFirst()
                .orElseThrow(() -> new NotFoundException("no service " + name));
    }
}
