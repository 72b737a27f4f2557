package dev.palisade.platform.workload;

import com.fasterxml.jackson.annotation.JsonRawValue;
import dev.palisade.model.NotFoundException;
import dev.palisade.model.audit.AuditLog;
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
import dev.palisade.platform.dispatch.Dispatcher;
import dev.palisade.platform.dispatch.WorkloadStore;
import dev.palisade.platform.security.Caller;
import dev.palisade.web.workload.LogFollowing;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.Sort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.support.TransactionTemplate;
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
class WorkloadController {

    /** API field → column of the workload table (the list is read with SQL, see {@link WorkloadReads}). */
    private static final Map<String, String> SORTABLE = Map.of("createdAt", "created_at", "name", "name",
            "state", "state", "finishedAt", "finished_at");

    private final TenantAccess access;
    private final WorkloadSubmissions submissions;
    private final WorkloadService workloads;
    private final WorkloadReads reads;
    private final WorkloadStore store;
    private final Dispatcher dispatcher;
    private final UsageService usage;
    private final Paging paging;
    private final AuditLog audit;
    private final TransactionTemplate tx;
    private final LogFollowing streams;
    private final dev.palisade.model.quota.QuotaService quotas;

    WorkloadController(dev.palisade.model.quota.QuotaService quotas, TenantAccess access, WorkloadSubmissions submissions, WorkloadService workloads,
            WorkloadReads reads, WorkloadStore store, Dispatcher dispatcher, UsageService usage, Paging paging, AuditLog audit,
            TransactionTemplate tx, LogFollowing streams) {
        this.access = access;
        this.submissions = submissions;
        this.workloads = workloads;
        this.reads = reads;
        this.store = store;
        this.dispatcher = dispatcher;
        this.usage = usage;
        this.paging = paging;
        this.audit = audit;
        this.tx = tx;
        this.streams = streams;
        this.quotas = quotas;
    }

    /** command, env, limits and result are JSON as stored (see {@link JsonbText}), embedded as they are. */
    record WorkloadResponse(UUID id, String tenant, String name, String image,
            @JsonRawValue @Schema(types = "array") String command,
            @JsonRawValue @Schema(types = "object") String env, String platform,
            @JsonRawValue @Schema(types = "object") String limits, WorkloadState state, Integer exitCode,
            String terminationReason, String message, Long cpuMillis, Long wallMillis, Long peakMemoryBytes, String node,
            int attempts, int maxAttempts, boolean cancelRequested, long inputBytes, long logBytes, long artifactBytes,
            Instant createdAt, Instant startedAt, Instant finishedAt, @JsonRawValue @Schema(types = "object") String result,
            String kind) {

        /** {@code showNode}: for a platform admin only. */
        static WorkloadResponse of(String tenant, Workload w, boolean showNode) {
            return new WorkloadResponse(w.getId(), tenant, w.getName(), w.getImage(), JsonbText.compact(w.getCommand()),
                    JsonbText.compact(w.getEnv()), w.getPlatform(), JsonbText.compact(w.getLimits()), w.getState(),
                    w.getExitCode(), w.getTerminationReason(), w.getMessage(), w.getCpuMillis(), w.getWallMillis(),
                    w.getPeakMemoryBytes(), showNode ? w.getNode() : null, w.getAttempts(), w.getMaxAttempts(),
                    w.isCancelRequested(),
                    w.getInputBytes(), w.getLogBytes(), w.getArtifactBytes(), w.getCreatedAt(), w.getStartedAt(),
                    w.getFinishedAt(), JsonbText.compact(w.getResult()), w.getKind());
        }
    }

    @PostMapping(path = "/workloads", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Submit a workload", description = "{name, image, command[], env{}, platform, limits{cpuMillis, "
            + "wallMillis, memoryBytes, maxProcesses, outputBytes}, maxAttempts}; refused with 422/429 naming the limit")
    ResponseEntity<?> submit(Caller caller, @PathVariable("tenant") String slug,
            @RequestBody WorkloadSubmissions.Spec spec) {
        Tenant tenant = access.visible(caller, slug);
        return answer(slug, submissions.submit(caller.username(), tenant, spec, null));
    }

    @PostMapping(path = "/workloads", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @Operation(summary = "Submit a workload with input files", description = "parts: spec (the JSON spec) and input "
            + "(a .tar.gz or .zip unpacked into /workspace)")
    ResponseEntity<?> submitWithInput(Caller caller, @PathVariable("tenant") String slug,
            @RequestPart("spec") String spec, @RequestPart(name = "input", required = false) MultipartFile input)
            throws IOException {
        Tenant tenant = access.visible(caller, slug);
        byte[] bytes = input == null || input.isEmpty() ? null : input.getBytes();
        return answer(slug, submissions.submit(caller.username(), tenant, WorkloadSubmissions.parse(spec), bytes));
    }

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
    @Operation(summary = "List workloads", description = "state: QUEUED, RUNNING, …; sort: createdAt, name, state, finishedAt")
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
    WorkloadResponse get(Caller caller, @PathVariable("tenant") String slug, @PathVariable("id") String id) {
        access.requireVisible(caller, slug);
        return reads.get(slug, uuid(id), caller.isPlatformAdmin());
    }

    @PostMapping("/workloads/{id}/cancel")
    @Operation(summary = "Cancel a workload", description = "a queued one ends at once; a running one is killed within a heartbeat")
    WorkloadResponse cancel(Caller caller, @PathVariable("tenant") String slug, @PathVariable("id") String id) {
        Tenant tenant = access.visible(caller, slug);
        UUID uuid = uuid(id);
        workloads.get(tenant, uuid);
        Optional<String> node = tx.execute(status -> {
            Optional<String> n = store.cancel(uuid, tenant.getId());
            if (n.isPresent()) {
                audit.record(caller.username(), tenant, "workload.cancel", "workload:" + uuid, Map.of());
            }
            return n;
        });
        if (node.isPresent() && dispatcher.node().equals(node.get())) {
            dispatcher.cancelLocal(uuid);
        }
        return WorkloadResponse.of(slug, workloads.get(tenant, uuid), caller.isPlatformAdmin());
    }

    @GetMapping(path = "/workloads/{id}/logs", produces = {MediaType.TEXT_PLAIN_VALUE, MediaType.ALL_VALUE})
    @Operation(summary = "The log: stdout and stderr interleaved", description = "Accept: text/event-stream follows it live")
    ResponseEntity<String> logs(Caller caller, @PathVariable("tenant") String slug, @PathVariable("id") String id) {
        Tenant tenant = access.visible(caller, slug);
        UUID uuid = uuid(id);
        workloads.get(tenant, uuid);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        store.logAfter(uuid, 0).forEach(c -> out.writeBytes(c.data()));
        return ResponseEntity.ok().contentType(new MediaType(MediaType.TEXT_PLAIN, StandardCharsets.UTF_8))
                .body(out.toString(StandardCharsets.UTF_8));
    }

    @GetMapping(path = "/workloads/{id}/logs", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(summary = "The log, followed live", description = "Server-sent events: log (one line, with an id that "
            + "Last-Event-ID resumes after), end (the final state); 429 with Retry-After past the caps")
    SseEmitter followLogs(Caller caller, @PathVariable("tenant") String slug, @PathVariable("id") String id,
            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
        Tenant tenant = access.visible(caller, slug);
        UUID uuid = uuid(id);
        workloads.get(tenant, uuid);
        return streams.follow(uuid, new LogFollowing.Follower(caller.userId(), caller.tenantId()), lastEventId, null);
    }

    @GetMapping(path = "/workloads/{id}/artifacts")
    @Operation(summary = "What the program left under /workspace/out, as a .tar.gz")
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
    @Operation(summary = "Usage of a month (default: this one, UTC) against the quota")
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
