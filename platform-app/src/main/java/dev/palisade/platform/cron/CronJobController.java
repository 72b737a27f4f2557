package dev.palisade.platform.cron;

import dev.palisade.model.tenant.Tenant;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.cron.CronJobStore.CronJob;
import dev.palisade.platform.cron.CronJobStore.Run;
import dev.palisade.platform.security.Caller;
import dev.palisade.platform.workload.WorkloadSubmissions;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

/** A tenant's cron jobs through the REST API; any user of the tenant, as for its workloads. */
@RestController
@RequestMapping("/api/v1/tenants/{tenant}/cron-jobs")
@Tag(name = "Cron jobs", description = "Workloads started on a schedule: a cron expression in a time zone, a "
        + "concurrency policy, a starting deadline, suspension, and the history of firings")
class CronJobController {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final TenantAccess access;
    private final CronJobs cronJobs;
    private final CronJobStore store;
    private final WorkloadSubmissions submissions;

    CronJobController(TenantAccess access, CronJobs cronJobs, CronJobStore store, WorkloadSubmissions submissions) {
        this.access = access;
        this.cronJobs = cronJobs;
        this.store = store;
        this.submissions = submissions;
    }

    @Schema(description = "A cron job to create; on PATCH every field is optional and one left out keeps its value",
            example = """
            {"name": "nightly-report", "cron": "0 3 * * *", "timeZone": "Europe/Berlin", "concurrencyPolicy": "FORBID",
             "startingDeadlineSeconds": 600, "workload": {"command": ["python3", "-c", "print('report')"]}}""")
    record CronJobBody(
            @Schema(description = "1 to 100 letters, digits, '.', '_' or '-'; not changed by PATCH", example = "nightly-report")
            String name,
            @Schema(description = "five fields (minute hour day month weekday, as Unix and Kubernetes) or six with "
                    + "seconds first (as Spring)", example = "0 3 * * *") String cron,
            @Schema(description = "the zone the expression is read in", example = "Europe/Berlin", defaultValue = "UTC")
            String timeZone,
            @Schema(description = "what a firing does while an earlier run still runs", defaultValue = "ALLOW")
            ConcurrencyPolicy concurrencyPolicy,
            @Schema(description = "a firing started later than this (the platform was down, say) is missed; "
                    + "none: it runs however late", example = "600") Long startingDeadlineSeconds,
            @Schema(description = "a suspended job does not fire", defaultValue = "false") Boolean suspended,
            WorkloadSubmissions.Spec workload) {
    }

    @Schema(name = "CronJob", description = "A cron job and when it fires next")
    record CronJobResponse(String tenant, String name, String cron, String timeZone, ConcurrencyPolicy concurrencyPolicy,
            Long startingDeadlineSeconds, boolean suspended, WorkloadSubmissions.Spec workload,
            @Schema(description = "absent while suspended") Instant nextFiringAt, String createdBy, Instant createdAt,
            Instant updatedAt) {
    }

    @Schema(name = "CronJobRun", description = "One firing of a cron job and what it did")
    record RunResponse(Instant scheduledFor, Instant firedAt,
            @Schema(allowableValues = {"STARTED", "SKIPPED", "MISSED", "REJECTED"}) String outcome,
            @Schema(description = "the workload it started (also when admission refused it)") UUID workloadId,
            @Schema(description = "that workload's state now") String workloadState, String message,
            @Schema(description = "the instance that fired it") String node) {
    }

    @PostMapping
    @Operation(operationId = "createCronJob", summary = "Create a cron job", description = "Any user of the tenant. "
            + "The workload spec is checked now as a submit would be; every firing submits it, admitted against the "
            + "quota then.")
    @ApiResponse(responseCode = "201", description = "Created")
    ResponseEntity<CronJobResponse> create(Caller caller, @PathVariable("tenant") String slug,
            @RequestBody CronJobBody body) {
        Tenant tenant = access.visible(caller, slug);
        if (body == null || body.name() == null || !body.name().matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
            throw ApiProblems.badRequest("name", "1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        CronTrigger trigger = trigger(body.cron(), body.timeZone());
        CronJob job = new CronJob(UUID.randomUUID(), tenant.getId(), slug, body.name(), trigger.cron(),
                trigger.timeZone(), body.concurrencyPolicy() == null ? ConcurrencyPolicy.ALLOW : body.concurrencyPolicy(),
                deadline(body.startingDeadlineSeconds()), Boolean.TRUE.equals(body.suspended()), spec(tenant, body.workload()),
                caller.username(), null, null);
        CronJob created = cronJobs.create(caller.username(), tenant, job);
        return ResponseEntity.created(URI.create("/api/v1/tenants/" + slug + "/cron-jobs/" + created.name()))
                .body(response(created));
    }

    @GetMapping
    @Operation(operationId = "listCronJobs", summary = "List cron jobs", description = "By name, with their next firing.")
    List<CronJobResponse> list(Caller caller, @PathVariable("tenant") String slug) {
        Tenant tenant = access.visible(caller, slug);
        return store.list(tenant.getId()).stream().map(this::response).toList();
    }

    @GetMapping("/{name}")
    @Operation(operationId = "getCronJob", summary = "A cron job", description = "With its next firing.")
    CronJobResponse get(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        return response(cronJobs.get(access.visible(caller, slug), name));
    }

    @PatchMapping("/{name}")
    @Operation(operationId = "updateCronJob", summary = "Change, suspend or resume a cron job", description = "Fields "
            + "left out keep their value. suspended: true stops its firings (runs already started go on); false "
            + "resumes them from now, without catching up the firings missed meanwhile.")
    CronJobResponse update(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name,
            @RequestBody CronJobBody body) {
        Tenant tenant = access.visible(caller, slug);
        CronJob before = cronJobs.get(tenant, name);
        if (body == null) {
            throw ApiProblems.badRequest("body", "is required");
        }
        CronTrigger trigger = trigger(body.cron() == null ? before.cron() : body.cron(),
                body.timeZone() == null ? before.timeZone() : body.timeZone());
        CronJob after = new CronJob(before.id(), before.tenantId(), slug, before.name(), trigger.cron(),
                trigger.timeZone(), body.concurrencyPolicy() == null ? before.concurrencyPolicy() : body.concurrencyPolicy(),
                body.startingDeadlineSeconds() == null ? before.startingDeadlineSeconds()
                        : deadline(body.startingDeadlineSeconds()),
                body.suspended() == null ? before.suspended() : body.suspended(),
                body.workload() == null ? before.spec() : spec(tenant, body.workload()), before.createdBy(), before.createdAt(),
                before.updatedAt());
        return response(cronJobs.update(caller.username(), tenant, before, after));
    }

    @DeleteMapping("/{name}")
    @Operation(operationId = "deleteCronJob", summary = "Delete a cron job",
            description = "With its history; the workloads it started stay.")
    @ApiResponse(responseCode = "204", description = "Deleted")
    ResponseEntity<Void> delete(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        cronJobs.delete(caller.username(), tenant, cronJobs.get(tenant, name));
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/{name}/runs")
    @Operation(operationId = "listCronJobRuns", summary = "A cron job's firings", description = "Newest first, at "
            + "most limit (1 to 500, default 100): what each did and the state of the workload it started.")
    List<RunResponse> runs(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name,
            @RequestParam(required = false) Integer limit) {
        CronJob job = cronJobs.get(access.visible(caller, slug), name);
        int n = limit == null ? 100 : limit;
        if (n < 1 || n > 500) {
            throw ApiProblems.badRequest("limit", "must be between 1 and 500");
        }
        return store.runs(job.id(), n).stream().map(CronJobController::response).toList();
    }

    private static CronTrigger trigger(String cron, String zone) {
        try {
            return CronTrigger.of(cron, zone);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            int colon = m.indexOf(':');
            throw ApiProblems.badRequest(m.substring(0, colon), m.substring(colon + 2));
        }
    }

    private static Long deadline(Long seconds) {
        if (seconds != null && seconds < 1) {
            throw ApiProblems.badRequest("startingDeadlineSeconds", "must be 1 or more");
        }
        return seconds;
    }

    /** The spec checked as a submit checks it, stored as the client sent it. */
    private String spec(Tenant tenant, WorkloadSubmissions.Spec spec) {
        if (spec == null) {
            throw ApiProblems.badRequest("workload", "is required: the workload spec each firing submits");
        }
        submissions.validate(tenant, spec);
        submissions.validateSecrets(tenant, spec.secrets());
        return JSON.writeValueAsString(spec);
    }

    private CronJobResponse response(CronJob j) {
        return new CronJobResponse(j.tenant(), j.name(), j.cron(), j.timeZone(), j.concurrencyPolicy(),
                j.startingDeadlineSeconds(), j.suspended(), JSON.readValue(j.spec(), WorkloadSubmissions.Spec.class),
                cronJobs.nextFiring(j.id()).orElse(null), j.createdBy(), j.createdAt(), j.updatedAt());
    }

    private static RunResponse response(Run r) {
        return new RunResponse(r.scheduledFor(), r.firedAt(), r.outcome(), r.workloadId(), r.workloadState(),
                r.message(), r.node());
    }
}
