package dev.palisade.platform.api.quota;

import dev.palisade.model.quota.Quota;
import dev.palisade.model.quota.QuotaLimits;
import dev.palisade.model.quota.QuotaService;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.security.Caller;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Instant;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** A tenant's quota: every user of the tenant may read it, only a platform admin may change it. */
@RestController
@Tag(name = "Quota", description = "A tenant's limits: read by its users, set by a platform admin")
@RequestMapping("/api/v1/tenants/{tenant}/quota")
class QuotaController {

    private final QuotaService quotas;
    private final TenantAccess access;

    QuotaController(QuotaService quotas, TenantAccess access) {
        this.quotas = quotas;
        this.access = access;
    }

    @Schema(description = "A tenant's whole quota", example = """
            {"maxConcurrentWorkloads": 4, "maxCpuMillis": 60000, "maxWallMillis": 300000, "maxMemoryBytes": 536870912,
             "maxProcesses": 64, "maxOutputBytes": 1048576, "cpuSecondsPerMonth": 36000, "storageBytes": 1073741824}""")
    record QuotaBody(
            @NotNull @Min(0) @Max(10_000) Integer maxConcurrentWorkloads,
            @NotNull @Min(1) Long maxCpuMillis,
            @NotNull @Min(1) Long maxWallMillis,
            @NotNull @Min(1) Long maxMemoryBytes,
            @NotNull @Min(1) @Max(100_000) Integer maxProcesses,
            @NotNull @Min(1) Long maxOutputBytes,
            @NotNull @Min(0) Long cpuSecondsPerMonth,
            @NotNull @Min(0) Long storageBytes) {

        QuotaLimits limits() {
            return new QuotaLimits(maxConcurrentWorkloads, maxCpuMillis, maxWallMillis, maxMemoryBytes,
                    maxProcesses, maxOutputBytes, cpuSecondsPerMonth, storageBytes);
        }
    }

    record QuotaResponse(String tenant, int maxConcurrentWorkloads, long maxCpuMillis, long maxWallMillis,
            long maxMemoryBytes, int maxProcesses, long maxOutputBytes, long cpuSecondsPerMonth, long storageBytes,
            Instant updatedAt) {

        static QuotaResponse of(Tenant tenant, Quota quota) {
            QuotaLimits l = quota.limits();
            return new QuotaResponse(tenant.getSlug(), l.maxConcurrentWorkloads(), l.maxCpuMillis(), l.maxWallMillis(),
                    l.maxMemoryBytes(), l.maxProcesses(), l.maxOutputBytes(), l.cpuSecondsPerMonth(), l.storageBytes(),
                    quota.getUpdatedAt());
        }
    }

    @GetMapping
    @Operation(operationId = "getQuota", summary = "A tenant's quota", description = "Any user of the tenant.")
    QuotaResponse get(Caller caller, @PathVariable("tenant") String slug) {
        Tenant tenant = access.visible(caller, slug);
        return QuotaResponse.of(tenant, quotas.get(tenant));
    }

    @PutMapping
    @Operation(operationId = "replaceQuota", summary = "Replace a tenant's quota", description = "Platform admin. "
            + "Per-workload ceilings (maxCpuMillis, maxWallMillis, maxMemoryBytes, maxProcesses, maxOutputBytes), "
            + "concurrency, CPU-seconds per month and stored bytes; work already admitted keeps running.")
    QuotaResponse put(Caller caller, @PathVariable("tenant") String slug, @Valid @RequestBody QuotaBody body) {
        Tenant tenant = access.adminOnly(caller, slug);
        return QuotaResponse.of(tenant, quotas.replace(caller.username(), tenant, body.limits()));
    }
}
