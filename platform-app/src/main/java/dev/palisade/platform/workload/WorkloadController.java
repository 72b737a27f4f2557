package dev.palisade.platform.workload;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.usage.Usage;
import dev.palisade.model.usage.UsageService;
import dev.palisade.model.workload.AdmissionException;
import dev.palisade.model.workload.Workload;
import dev.palisade.model.workload.WorkloadService;
import dev.palisade.model.workload.WorkloadService.Admitted;
import dev.palisade.model.workload.WorkloadState;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.PageResponse;
import dev.palisade.platform.api.Paging;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.dispatch.WorkloadStore;
import dev.palisade.platform.security.Caller;
import dev.palisade.web.workload.LogFollowing;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import dev.palisade.platform.logs.LogLines;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.UUID;
import org.springframework.data.domain.Sort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Workloads of a tenant: submit (JSON, or multipart with an input archive), list, get, cancel,
 * logs (text, or followed live over SSE), artifacts, and the tenant's usage. Any user of the
 * tenant or a platform admin; another tenant's workload answers 404 like a missing one.
 */
@RestController
@RequestMapping("/api/v1/tenants/{tenant}")
@Tag(name = "Workloads", description = "Programs run once in the sandbox: submit, follow, fetch what they left, "
        + "cancel; and the tenant's usage")
class WorkloadController {

    /** API field → column of the workload table (the list is read with SQL, see {@link WorkloadReads}). */
    private static final Map<String, String> SORTABLE = Map.of("createdAt", "created_at", "name", "name",
            "state", "state", "finishedAt", "finished_at");

    private final TenantAccess access;
    private final WorkloadSubmissions submissions;
    private final WorkloadService workloads;
    private final WorkloadReads reads;
    private final WorkloadStore store;
    private final UsageService usage;
    private final Paging paging;
    private final WorkloadCancels cancels;
    private final LogFollowing streams;
    private final dev.palisade.model.quota.QuotaService quotas;

    WorkloadController(dev.palisade.model.quota.QuotaService quotas, TenantAccess access, WorkloadSubmissions submissions, WorkloadService workloads,
            WorkloadReads reads, WorkloadStore store, UsageService usage, Paging paging, WorkloadCancels cancels,
            LogFollowing streams) {
        this.access = access;
        this.submissions = submissions;
        this.workloads = workloads;
        this.reads = reads;
        this.store = store;
        this.usage = usage;
        this.paging = paging;
        this.cancels = cancels;
        this.streams = streams;
        this.quotas = quotas;
    }

    @PostMapping(path = "/workloads", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "submitWorkload", summary = "Submit a workload", description = SUBMIT)
    @ApiResponse(responseCode = "201", description = "Admitted and queued; Location names it",
            content = @Content(schema = @Schema(implementation = WorkloadResponse.class)))
    @ApiResponse(responseCode = "422", ref = "OverQuota")
    @ApiResponse(responseCode = "429", ref = "QuotaBusy")
    ResponseEntity<?> submit(Caller caller, @PathVariable("tenant") String slug,
            @RequestBody WorkloadSubmissions.Spec spec) {
        Tenant tenant = access.visible(caller, slug);
        return answer(slug, submissions.submit(caller.username(), tenant, spec, null));
    }

    @PostMapping(path = "/workloads", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @Operation(operationId = "submitWorkload", summary = "Submit a workload", description = SUBMIT)
    @ApiResponse(responseCode = "201", description = "Admitted and queued; Location names it",
            content = @Content(schema = @Schema(implementation = WorkloadResponse.class)))
    @ApiResponse(responseCode = "422", ref = "OverQuota")
    @ApiResponse(responseCode = "429", ref = "QuotaBusy")
    ResponseEntity<?> submitWithInput(Caller caller, @PathVariable("tenant") String slug,
            @RequestPart("spec") String spec, @RequestPart(name = "input", required = false) MultipartFile input)
            throws IOException {
        Tenant tenant = access.visible(caller, slug);
        byte[] bytes = input == null || input.isEmpty() ? null : input.getBytes();
        return answer(slug, submissions.submit(caller.username(), tenant, WorkloadSubmissions.parse(spec), bytes));
    }

    private static final String SUBMIT = "Any user of the tenant. As JSON, or as multipart/form-data with the "
            + "parts spec (the same JSON) and input (a .tar.gz or .zip unpacked into /workspace). Admitted against "
            + "the tenant's quota: refused with 422 or 429 naming the limit, the workload then stored as REJECTED.";

    private static ResponseEntity<?> answer(String slug, Admitted admitted) {
        Workload w = admitted.workload();
        AdmissionException refusal = admitted.refusal();
        if (refusal == null) {
            return ResponseEntity.created(URI.create("/api/v1/tenants/" + slug + "/workloads/" + w.getId()))
                    .body(WorkloadResponse.of(slug, w, false));
        }
        return ApiProblems.overQuota(refusal, Map.of("workloadId", w.getId()));
    }

    @GetMapping("/workloads")
    @Operation(operationId = "listWorkloads", summary = "List workloads", description = "Newest first. state filters "
            + "(QUEUED, RUNNING, SUCCEEDED, …); sort: createdAt (default, desc), name, state, finishedAt")
    PageResponse<WorkloadResponse> list(Caller caller, @PathVariable("tenant") String slug,
            @RequestParam(required = false) String state, @RequestParam(required = false) Integer page,
            @RequestParam(required = false) Integer size, @RequestParam(required = false) String sort) {
        access.requireVisible(caller, slug);
        return reads.list(slug, stateFilter(state),
                paging.of(page, size, sort, SORTABLE, Sort.by(Sort.Direction.DESC, "created_at")),
                caller.isPlatformAdmin());
    }

    private static WorkloadState stateFilter(String state) {
        if (state == null || state.isBlank()) {
            return null;
        }
        try {
            return WorkloadState.valueOf(state.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiProblems.badRequest("state", "must be one of " + java.util.Arrays.toString(WorkloadState.values()));
        }
    }

    @GetMapping("/workloads/{id}")
    @Operation(operationId = "getWorkload", summary = "A workload", description = "Where it stands, and once ended, "
            + "how: exit code, termination reason, CPU and wall time, peak memory and the sandbox's result.")
    WorkloadResponse get(Caller caller, @PathVariable("tenant") String slug, @PathVariable("id") String id) {
        access.requireVisible(caller, slug);
        return reads.get(slug, uuid(id), caller.isPlatformAdmin());
    }

    @PostMapping("/workloads/{id}/cancel")
    @Operation(operationId = "cancelWorkload", summary = "Cancel a workload",
            description = "A queued one ends at once; a running one is killed within a heartbeat.")
    WorkloadResponse cancel(Caller caller, @PathVariable("tenant") String slug, @PathVariable("id") String id) {
        Tenant tenant = access.visible(caller, slug);
        UUID uuid = uuid(id);
        workloads.get(tenant, uuid);
        cancels.cancel(caller.username(), tenant, uuid);
        return WorkloadResponse.of(slug, workloads.get(tenant, uuid), caller.isPlatformAdmin());
    }

    @GetMapping(path = "/workloads/{id}/logs", produces = {MediaType.TEXT_PLAIN_VALUE, MediaType.ALL_VALUE})
    @Operation(operationId = "getWorkloadLogs", summary = "The log: stdout and stderr interleaved",
            description = "As text so far; with Accept: text/event-stream, followed live as server-sent events "
                    + "(log: one line, with an id that Last-Event-ID resumes after; end: the final state) until the "
                    + "workload ends; 429 with Retry-After past the caps.")
    @ApiResponse(responseCode = "200", description = "The log", content = {
            @Content(mediaType = MediaType.TEXT_PLAIN_VALUE, schema = @Schema(type = "string")),
            @Content(mediaType = MediaType.TEXT_EVENT_STREAM_VALUE, schema = @Schema(type = "string"))})
    ResponseEntity<String> logs(Caller caller, @PathVariable("tenant") String slug, @PathVariable("id") String id,
            @Parameter(description = "each line after its time (ISO-8601, UTC) and stream (stdout, stderr, palisade)")
            @RequestParam(name = "timestamps", defaultValue = "false") boolean timestamps,
            @Parameter(description = "as a file to save (workload-<id>.log), with timestamps")
            @RequestParam(name = "download", defaultValue = "false") boolean download) {
        Tenant tenant = access.visible(caller, slug);
        UUID uuid = uuid(id);
        workloads.get(tenant, uuid);
        ResponseEntity.BodyBuilder ok = ResponseEntity.ok().contentType(new MediaType(MediaType.TEXT_PLAIN,
                StandardCharsets.UTF_8)).header("X-Content-Type-Options", "nosniff");
        if (download) {
            ok.header(org.springframework.http.HttpHeaders.CONTENT_DISPOSITION, org.springframework.http.ContentDisposition
                    .attachment().filename("workload-" + uuid + ".log").build().toString());
        }
        return ok.body(LogLines.render(store.logAfter(uuid, 0), timestamps || download));
    }

    @GetMapping(path = "/workloads/{id}/logs", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(operationId = "getWorkloadLogs", description = "Server-sent events: log (one line, with an id that "
            + "Last-Event-ID resumes after), end (the final state); 429 with Retry-After past the caps.")
    @ApiResponse(responseCode = "200", description = "The log", content = {
            @Content(mediaType = MediaType.TEXT_PLAIN_VALUE, schema = @Schema(type = "string")),
            @Content(mediaType = MediaType.TEXT_EVENT_STREAM_VALUE, schema = @Schema(type = "string"))})
    SseEmitter followLogs(Caller caller, @PathVariable("tenant") String slug, @PathVariable("id") String id,
            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
        Tenant tenant = access.visible(caller, slug);
        UUID uuid = uuid(id);
        workloads.get(tenant, uuid);
        return streams.follow(uuid, new LogFollowing.Follower(caller.userId(), caller.tenantId()), lastEventId, null);
    }

    @GetMapping(path = "/workloads/{id}/artifacts")
    @Operation(operationId = "getWorkloadArtifacts", summary = "What the program left under /workspace/out",
            description = "A .tar.gz, once the workload has ended; 404 while it runs or when it left nothing.")
    @ApiResponse(responseCode = "200", description = "The artifacts", content = @Content(mediaType = "application/gzip",
            schema = @Schema(type = "string", format = "binary")))
    ResponseEntity<byte[]> artifacts(Caller caller, @PathVariable("tenant") String slug, @PathVariable("id") String id) {
        Tenant tenant = access.visible(caller, slug);
        UUID uuid = uuid(id);
        Workload w = workloads.get(tenant, uuid);
        byte[] data = store.file(uuid, "artifacts").orElseThrow(() -> new NotFoundException(
                w.getState().isTerminal() ? "workload " + uuid + " left no artifacts (nothing under /workspace/out)"
                        : "workload " + uuid + " has not finished"));
        return ResponseEntity.ok().contentType(MediaType.parseMediaType("application/gzip"))
                .header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"" + w.getName() + "-artifacts.tar.gz\"")
                .body(data);
    }

    record UsageResponse(String tenant, String month, double cpuSeconds, double wallSeconds, long workloads,
            long bytes, long storedBytes, long running, long queued, long cpuSecondsPerMonthQuota,
            long storageBytesQuota, int maxConcurrentWorkloads) {
    }

    @GetMapping("/usage")
    @Operation(operationId = "getUsage", summary = "The tenant's usage of a month against its quota",
            description = "month: as 2026-11, default this one (UTC). CPU and wall seconds, workloads, bytes logged and "
                    + "stored, what runs and waits now.")
    UsageResponse usage(Caller caller, @PathVariable("tenant") String slug,
            @RequestParam(required = false) String month) {
        Tenant tenant = access.visible(caller, slug);
        YearMonth m;
        try {
            m = month == null ? YearMonth.now(ZoneOffset.UTC) : YearMonth.parse(month);
        } catch (DateTimeParseException e) {
            throw ApiProblems.badRequest("month", "must look like 2026-11");
        }
        Usage u = usage.of(tenant.getId(), m);
        var q = quotas.get(tenant).limits();
        return new UsageResponse(slug, m.toString(), u.cpuMillis() / 1000.0, u.wallMillis() / 1000.0, u.workloads(),
                u.bytes(), u.storedBytes(), u.running(), u.queued(), q.cpuSecondsPerMonth(), q.storageBytes(),
                q.maxConcurrentWorkloads());
    }

    private static UUID uuid(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new NotFoundException("no workload " + id);
        }
    }
}
