package dev.palisade.platform.api.tenant;

import dev.palisade.model.PlainText;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.model.tenant.TenantStatus;
import dev.palisade.platform.api.PageResponse;
import dev.palisade.platform.api.Paging;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.security.Caller;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import org.springframework.data.domain.Sort;
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

/** Tenants: platform admins only. Another tenant's slug answers 404 to a tenant user, as if it did not exist. */
@RestController
@Tag(name = "Tenants", description = "Create, list, rename, suspend and delete tenants (platform admin)")
@RequestMapping("/api/v1/tenants")
class TenantController {

    private static final Map<String, String> SORTABLE =
            Map.of("slug", "slug", "displayName", "displayName", "createdAt", "createdAt", "status", "status");

    private final TenantService tenants;
    private final TenantAccess access;
    private final Paging paging;

    TenantController(TenantService tenants, TenantAccess access, Paging paging) {
        this.tenants = tenants;
        this.access = access;
        this.paging = paging;
    }

    @Schema(description = "A new tenant", example = "{\"slug\": \"acme\", \"displayName\": \"Acme Corp\"}")
    record CreateTenant(
            @NotBlank @Size(min = 2, max = 40)
            @Pattern(regexp = "[a-z0-9]([a-z0-9-]*[a-z0-9])?", message = "lower-case letters, digits and inner dashes only")
            String slug,
            @NotBlank @Size(max = 200) @Pattern(regexp = PlainText.PATTERN, message = PlainText.MESSAGE)
            String displayName) {
    }

    @Schema(description = "What changes; a field left out keeps its value", example = "{\"status\": \"SUSPENDED\"}")
    record UpdateTenant(
            @Size(min = 1, max = 200) @Pattern(regexp = PlainText.PATTERN, message = PlainText.MESSAGE)
            String displayName,
            @Pattern(regexp = "ACTIVE|SUSPENDED", message = "must be ACTIVE or SUSPENDED") String status) {
    }

    record TenantResponse(String slug, String displayName, TenantStatus status, Instant createdAt, Instant updatedAt) {
        static TenantResponse of(Tenant t) {
            return new TenantResponse(t.getSlug(), t.getDisplayName(), t.getStatus(), t.getCreatedAt(), t.getUpdatedAt());
        }
    }

    @PostMapping
    @Operation(operationId = "createTenant", summary = "Create a tenant", description = "Platform admin. The tenant "
            + "starts ACTIVE with the default quota; its slug names it in every path and cannot change.")
    @ApiResponse(responseCode = "201", description = "Created; Location names the tenant")
    ResponseEntity<TenantResponse> create(Caller caller, @Valid @RequestBody CreateTenant body) {
        access.requirePlatformAdmin(caller);
        Tenant tenant = tenants.create(caller.username(), body.slug(), body.displayName());
        return ResponseEntity.created(URI.create("/api/v1/tenants/" + tenant.getSlug())).body(TenantResponse.of(tenant));
    }

    @GetMapping
    @Operation(operationId = "listTenants", summary = "List tenants",
            description = "Platform admin. sort: slug (default), displayName, createdAt, status (e.g. createdAt,desc)")
    PageResponse<TenantResponse> list(Caller caller, @RequestParam(required = false) Integer page,
            @RequestParam(required = false) Integer size, @RequestParam(required = false) String sort) {
        access.requirePlatformAdmin(caller);
        return PageResponse.of(tenants.list(paging.of(page, size, sort, SORTABLE, Sort.by("slug"))), TenantResponse::of);
    }

    @GetMapping("/{tenant}")
    @Operation(operationId = "getTenant", summary = "A tenant", description = "Platform admin.")
    TenantResponse get(Caller caller, @PathVariable("tenant") String slug) {
        return TenantResponse.of(access.adminOnly(caller, slug));
    }

    @PatchMapping("/{tenant}")
    @Operation(operationId = "updateTenant", summary = "Rename, suspend or reactivate a tenant", description = "Platform "
            + "admin. Fields left out keep their value; a SUSPENDED tenant's users cannot log in or submit, and its "
            + "services stop.")
    TenantResponse update(Caller caller, @PathVariable("tenant") String slug, @Valid @RequestBody UpdateTenant body) {
        access.adminOnly(caller, slug);
        TenantStatus status = body.status() == null ? null : TenantStatus.valueOf(body.status());
        return TenantResponse.of(tenants.update(caller.username(), slug, body.displayName(), status));
    }

    @DeleteMapping("/{tenant}")
    @Operation(operationId = "deleteTenant", summary = "Delete a tenant",
            description = "Platform admin. Deletes the tenant with its users, tokens, quota and workloads.")
    @ApiResponse(responseCode = "204", description = "Deleted")
    ResponseEntity<Void> delete(Caller caller, @PathVariable("tenant") String slug) {
        access.adminOnly(caller, slug);
        tenants.delete(caller.username(), slug);
        return ResponseEntity.noContent().build();
    }
}
