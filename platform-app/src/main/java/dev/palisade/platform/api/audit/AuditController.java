package dev.palisade.platform.api.audit;

import dev.palisade.model.audit.AuditEvent;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.audit.AuditQuery;
import dev.palisade.platform.api.PageResponse;
import dev.palisade.platform.api.Paging;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.security.Caller;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.util.Map;
import org.springframework.data.domain.Sort;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The audit log, for platform admins. */
@RestController
@Tag(name = "Audit", description = "Who changed what, when (platform admin)")
@RequestMapping("/api/v1/audit")
class AuditController {

    private static final Map<String, String> SORTABLE =
            Map.of("occurredAt", "occurredAt", "action", "action", "actor", "actor", "tenant", "tenantSlug");

    private final AuditLog audit;
    private final TenantAccess access;
    private final Paging paging;

    AuditController(AuditLog audit, TenantAccess access, Paging paging) {
        this.audit = audit;
        this.access = access;
        this.paging = paging;
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** {@code details}: the event's named values as a JSON object (null when it has none). */
    record AuditResponse(long id, Instant occurredAt, String actor, String tenant, String action, String target,
            @Schema(description = "the event's named values", example = "{\"version\": 2}")
            Map<String, Object> details) {
        static AuditResponse of(AuditEvent e) {
            return new AuditResponse(e.getId(), e.getOccurredAt(), e.getActor(), e.getTenantSlug(), e.getAction(),
                    e.getTarget(), details(e.getDetails()));
        }

        /** Stored as a JSON object; anything else (never written so) is answered as {"text": …}. */
        @SuppressWarnings("unchecked")
        private static Map<String, Object> details(String json) {
            if (json == null) {
                return null;
            }
            JsonNode node = JSON.readTree(json);
            return node.isObject() ? JSON.convertValue(node, Map.class) : Map.of("text", node.asString());
        }
    }

    @GetMapping
    @Operation(operationId = "searchAudit", summary = "Search the audit log (platform admin)",
            description = "Filters: tenant (slug), action (e.g. tenant.create, token.revoke, login.refused), actor, "
                    + "from/to (ISO-8601 instants). sort: occurredAt (default, newest first), action, actor, tenant")
    PageResponse<AuditResponse> search(Caller caller,
            @RequestParam(required = false) String tenant, @RequestParam(required = false) String action,
            @RequestParam(required = false) String actor, @RequestParam(required = false) Instant from,
            @RequestParam(required = false) Instant to, @RequestParam(required = false) Integer page,
            @RequestParam(required = false) Integer size, @RequestParam(required = false) String sort) {
        access.requirePlatformAdmin(caller);
        var pageable = paging.of(page, size, sort, SORTABLE, Sort.by(Sort.Direction.DESC, "occurredAt", "id"));
        return PageResponse.of(audit.search(new AuditQuery(tenant, action, actor, from, to), pageable),
                AuditResponse::of);
    }
}
