package dev.palisade.platform.workload;

import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.PageResponse;
import dev.palisade.platform.api.Paging;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.security.Caller;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** What sandboxed programs tried and were refused: platform admins only, newest first. */
@RestController
@Tag(name = "Security events", description = "System calls the sandbox refused and policy violations (platform admin)")
class SecurityEventController {

    private final JdbcClient jdbc;
    private final TenantAccess access;

    SecurityEventController(JdbcClient jdbc, TenantAccess access) {
        this.jdbc = jdbc;
        this.access = access;
    }

    record SecurityEvent(long id, Instant occurredAt, String tenant, UUID workloadId, String kind, String syscall,
            String detail) {
    }

    @GetMapping("/api/v1/security-events")
    @Operation(operationId = "listSecurityEvents", summary = "Security events (platform admin)",
            description = "Newest first; filter by tenant slug and/or workload id. size: 1 to 500, default 50.")
    PageResponse<SecurityEvent> list(Caller caller, @RequestParam(required = false) String tenant,
            @RequestParam(required = false) UUID workload, @RequestParam(required = false) Integer page,
            @RequestParam(required = false) Integer size) {
        access.requirePlatformAdmin(caller);
        int p = page == null ? 0 : page;
        int s = size == null ? 50 : size;
        if (p < 0 || s < 1 || s > 500) {
            throw ApiProblems.badRequest("size", "page must be 0 or more, size between 1 and 500");
        }
        Paging.requireReachable(p, s);
        String where = " where (cast(:tenant as varchar) is null or tenant_slug = :tenant)"
                + " and (cast(:workload as uuid) is null or workload_id = :workload)";
        long total = jdbc.sql("select count(*) from security_event" + where)
                .param("tenant", tenant).param("workload", workload).query(Long.class).single();
        var rows = jdbc.sql("select id, occurred_at, tenant_slug, workload_id, kind, syscall, detail from security_event"
                        + where + " order by occurred_at desc, id desc limit :size offset :offset")
                .param("tenant", tenant).param("workload", workload).param("size", s).param("offset", (long) p * s)
                .query((rs, i) -> new SecurityEvent(rs.getLong(1), rs.getObject(2, OffsetDateTime.class).toInstant(),
                        rs.getString(3), rs.getObject(4, UUID.class), rs.getString(5), rs.getString(6), rs.getString(7)))
                .list();
        return new PageResponse<>(rows, p, s, total, (int) ((total + s - 1) / s));
    }
}
