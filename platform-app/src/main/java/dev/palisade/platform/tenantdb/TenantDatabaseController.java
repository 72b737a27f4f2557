package dev.palisade.platform.tenantdb;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.workload.AdmissionException;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.secret.SecretRef;
import dev.palisade.platform.security.Caller;
import dev.palisade.platform.tenantdb.TenantDatabaseStore.Database;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * A tenant's databases through the REST API: members list them; tenant admins create them (their
 * size bound counted against the storage quota, their connection string stored as a secret) and
 * delete them (refused while a running service is given that secret).
 */
@RestController
@Tag(name = "Databases", description = "per-tenant PostgreSQL databases on a server the platform manages")
class TenantDatabaseController {

    private final TenantAccess access;
    private final TenantDatabases databases;
    private final TenantDatabaseProperties properties;

    TenantDatabaseController(TenantAccess access, TenantDatabases databases, TenantDatabaseProperties properties) {
        this.access = access;
        this.databases = databases;
        this.properties = properties;
    }

    @Schema(name = "NewDatabase", description = "A database to create",
            example = "{\"name\": \"main\", \"sizeBytes\": 268435456}")
    record NewDatabase(
            @Schema(description = "1 to 40 lower-case letters, digits or '_', starting with a letter") String name,
            @Schema(description = "its size bound in bytes (default palisade.tenant-databases.default-size); counted "
                    + "against the storage quota; past it the database turns read-only") Long sizeBytes,
            @Schema(description = "connections it takes at once") Integer connectionLimit,
            @Schema(description = "a statement's longest run, in milliseconds") Long statementTimeoutMs,
            @Schema(description = "the tenant secret its connection string is stored as (default DATABASE_URL)")
            String secretName) {
    }

    @Schema(name = "Database", description = "A tenant's database; its connection string is the secret secretName")
    record DatabaseResponse(
            String name,
            @Schema(description = "its name on the server, which is also its role's") String database,
            String secretName,
            long sizeBytes,
            @Schema(description = "its size at the last check") long usedBytes,
            @Schema(description = "WRITABLE, or READ_ONLY past its size bound") String state,
            int connectionLimit,
            long statementTimeoutMs,
            Instant checkedAt,
            Instant createdAt,
            String createdBy) {
    }

    private static DatabaseResponse response(Database d) {
        return new DatabaseResponse(d.name(), d.dbName(), d.secretName(), d.sizeBytes(), d.usedBytes(),
                d.readOnly() ? "READ_ONLY" : "WRITABLE", d.connectionLimit(), d.statementTimeoutMs(), d.checkedAt(),
                d.createdAt(), d.createdBy());
    }

    private Database find(Tenant tenant, String name) {
        return databases.find(tenant.getId(), name).orElseThrow(() -> new NotFoundException("no database " + name));
    }

    @GetMapping("/api/v1/tenants/{tenant}/databases")
    @Operation(operationId = "listDatabases", summary = "List the tenant's databases", description = "Any user of the tenant.")
    List<DatabaseResponse> list(Caller caller, @PathVariable("tenant") String slug) {
        Tenant tenant = access.visible(caller, slug);
        return databases.list(tenant.getId()).stream().map(TenantDatabaseController::response).toList();
    }

    @GetMapping("/api/v1/tenants/{tenant}/databases/{name}")
    @Operation(operationId = "getDatabase", summary = "One of the tenant's databases", description = "Any user of the tenant.")
    DatabaseResponse get(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        return response(find(tenant, name));
    }

    @PostMapping("/api/v1/tenants/{tenant}/databases")
    @Operation(operationId = "createDatabase", summary = "Create a database (tenant admin)", description = "A PostgreSQL "
            + "database and a role of the same name; its connection string (postgresql://role:password@host:port/database) "
            + "is stored as the secret secretName, which services are given as any secret (with network egress to reach it).")
    @ApiResponse(responseCode = "201", description = "Created; Location names it",
            content = @Content(schema = @Schema(implementation = DatabaseResponse.class)))
    @ApiResponse(responseCode = "422", ref = "OverQuota")
    ResponseEntity<?> create(Caller caller, @PathVariable("tenant") String slug, @RequestBody NewDatabase body) {
        Tenant tenant = access.managedBy(caller, slug);
        if (body == null || body.name() == null || !TenantDatabaseStore.NAME.matcher(body.name()).matches()) {
            throw ApiProblems.badRequest("name", "1 to 40 lower-case letters, digits or '_', starting with a letter");
        }
        long size = body.sizeBytes() == null ? properties.defaultSize().toBytes() : body.sizeBytes();
        long minSize = 16L << 20;
        if (size < minSize || size > properties.maxSize().toBytes()) {
            throw ApiProblems.badRequest("sizeBytes", "between " + minSize + " and " + properties.maxSize().toBytes() + " bytes");
        }
        int limit = body.connectionLimit() == null ? properties.defaultConnectionLimit() : body.connectionLimit();
        if (limit < 1 || limit > properties.maxConnectionLimit()) {
            throw ApiProblems.badRequest("connectionLimit", "between 1 and " + properties.maxConnectionLimit());
        }
        long timeout = body.statementTimeoutMs() == null ? properties.defaultStatementTimeout().toMillis()
                : body.statementTimeoutMs();
        if (timeout < 100 || timeout > properties.maxStatementTimeout().toMillis()) {
            throw ApiProblems.badRequest("statementTimeoutMs", "between 100 and "
                    + properties.maxStatementTimeout().toMillis() + " milliseconds");
        }
        String secret = body.secretName() == null ? "DATABASE_URL" : body.secretName();
        String problem = new SecretRef(secret, null).problem();
        if (problem != null) {
            throw ApiProblems.badRequest("secretName", problem);
        }
        Database d;
        try {
            d = databases.create(tenant, new TenantDatabases.Request(body.name(), secret, size, limit, timeout),
                    properties.maxPerTenant(), caller.username());
        } catch (AdmissionException e) {
            return ApiProblems.overQuota(e, Map.of());
        }
        return ResponseEntity.created(URI.create("/api/v1/tenants/" + tenant.getSlug() + "/databases/" + d.name()))
                .body(response(d));
    }

    @DeleteMapping("/api/v1/tenants/{tenant}/databases/{name}")
    @Operation(operationId = "deleteDatabase", summary = "Delete a database, its data, role and secret (tenant admin)",
            description = "Its open sessions end. Refused (409, naming them) while a running service is given its secret.")
    @ApiResponse(responseCode = "204", description = "Deleted")
    ResponseEntity<Void> delete(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.managedBy(caller, slug);
        databases.delete(tenant, find(tenant, name), caller.username());
        return ResponseEntity.noContent().build();
    }
}
