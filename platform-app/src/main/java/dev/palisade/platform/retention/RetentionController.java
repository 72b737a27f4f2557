package dev.palisade.platform.retention;

import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.security.Caller;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.Map;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** How long a tenant keeps finished workloads: its users read it, its admins (and platform admins) set it. */
@RestController
@Tag(name = "Retention", description = "How long a tenant keeps finished workloads, their logs and artifacts")
@RequestMapping("/api/v1/tenants/{tenant}/retention")
class RetentionController {

    private final TenantAccess access;
    private final RetentionStore store;
    private final RetentionProperties properties;
    private final AuditLog audit;
    private final TransactionTemplate tx;

    RetentionController(TenantAccess access, RetentionStore store, RetentionProperties properties, AuditLog audit,
            TransactionTemplate tx) {
        this.access = access;
        this.store = store;
        this.properties = properties;
        this.audit = audit;
        this.tx = tx;
    }

    @Schema(name = "RetentionBody", description = "Days to keep finished workloads", example = "{\"days\": 14}")
    record RetentionBody(@Schema(description = "1 to palisade.retention.max-days") Integer days) {
    }

    @Schema(name = "Retention", description = "How long the tenant keeps finished workloads")
    record RetentionResponse(String tenant,
            @Schema(description = "finished workloads older than this are deleted with their logs and artifacts "
                    + "(the newest deployment of each service is kept)") int days,
            @Schema(description = "false: the platform's default applies") boolean chosen,
            @Schema(description = "the most days that may be chosen") int maxDays) {
    }

    @GetMapping
    @Operation(operationId = "getRetention", summary = "A tenant's retention", description = "Any user of the tenant.")
    RetentionResponse get(Caller caller, @PathVariable("tenant") String slug) {
        Tenant tenant = access.visible(caller, slug);
        return response(tenant);
    }

    @PutMapping
    @Operation(operationId = "setRetention", summary = "Set a tenant's retention", description = "Tenant admins and "
            + "platform admins. The next purge deletes what is older.")
    RetentionResponse put(Caller caller, @PathVariable("tenant") String slug, @RequestBody RetentionBody body) {
        Tenant tenant = access.managedBy(caller, slug);
        if (body == null || body.days() == null || body.days() < 1 || body.days() > properties.maxDays()) {
            throw ApiProblems.badRequest("days", "between 1 and " + properties.maxDays());
        }
        tx.executeWithoutResult(status -> {
            store.setDays(tenant.getId(), body.days());
            audit.record(caller.username(), tenant, "retention.update", "tenant:" + tenant.getSlug(),
                    Map.of("days", body.days()));
        });
        return response(tenant);
    }

    private RetentionResponse response(Tenant tenant) {
        Integer own = store.days(tenant.getId()).orElse(null);
        return new RetentionResponse(tenant.getSlug(), own == null ? properties.defaultDays() : own, own != null,
                properties.maxDays());
    }
}
