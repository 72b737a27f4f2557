package dev.palisade.platform.tenantdb;

import dev.palisade.model.ConflictException;
import dev.palisade.model.NotFoundException;
import dev.palisade.model.audit.AuditLog;
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
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * A tenant's databases through the REST API: members list them; tenant admins create them (their
 * size bound counted against the storage quota, their connection string stored as a secret),
 * delete them (refused while a running service is given that secret), back them up and restore
 * them (pg_dump archives, streamed).
 */
@RestController
@Tag(name = "Databases", description = "per-tenant PostgreSQL databases on a server the platform manages")
class TenantDatabaseController {

    private final TenantAccess access;
    private final TenantDatabases databases;
    private final TenantDatabaseProperties properties;
    private final DatabaseDumps dumps;
    private final AuditLog audit;
    private final TransactionTemplate tx;

    TenantDatabaseController(TenantAccess access, TenantDatabases databases, TenantDatabaseProperties properties,
            DatabaseDumps dumps, AuditLog audit, TransactionTemplate tx) {
        this.access = access;
        this.databases = databases;
        this.properties = properties;
        this.dumps = dumps;
        this.audit = audit;
        this.tx = tx;
    }

    @Schema(name = "NewDatabase", description = "A database to create",
            example = "{\"name\": \"main\", \"sizeBytes\": 268435456}")
    record NewDatabase(
            @Schema(description = "1 to 40 lower-case letters, digits, '_' or '-', starting with a letter, not ending with '_' or '-'") String name,
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
            throw ApiProblems.badRequest("name", "1 to 40 lower-case letters, digits, '_' or '-', starting with a letter, not ending with '_' or '-'");
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

    @GetMapping(path = "/api/v1/tenants/{tenant}/databases/{name}/dump", produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    @Operation(operationId = "dumpDatabase", summary = "Back a database up: a pg_dump archive, streamed (tenant admin)",
            description = "pg_dump's custom format (pg_restore reads it), without owners or privileges. 409 when this "
                    + "node has no pg_dump of the server's major version or newer (the embedded PostgreSQL's binaries "
                    + "include none: the node's postgresql-client is used).")
    @ApiResponse(responseCode = "200", description = "The archive",
            content = @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE,
                    schema = @Schema(type = "string", format = "binary")))
    void dump(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name,
            HttpServletResponse response) throws IOException {
        Tenant tenant = access.managedBy(caller, slug);
        Database d = find(tenant, name);
        DatabaseDumps.Tool pgDump = dumps.tool("pg_dump");
        tx.executeWithoutResult(status -> audit.record(caller.username(), tenant, "database.dump", "database:" + name,
                Map.of()));
        try {
            dumps.dump(d, pgDump, () -> {
                // the headers go with the first byte: a refusal before it is still a problem+json answer
                response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
                response.setHeader("Content-Disposition", "attachment; filename=\"" + name + ".dump\"");
                try {
                    return response.getOutputStream();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (DatabaseDumps.DumpFailed e) {
            if (response.isCommitted()) {
                throw e;
            }
            throw new ConflictException(e.getMessage());
        }
    }

    @Schema(name = "DatabaseRestore", description = "What a restore did")
    record Restored(String name, long bytes) {
    }

    @PutMapping(path = "/api/v1/tenants/{tenant}/databases/{name}/dump", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    @Operation(operationId = "restoreDatabase", summary = "Restore a database from a pg_dump archive (tenant admin)",
            description = "The body a pg_dump custom-format archive; the objects it holds replace the database's own, in "
                    + "one transaction, created as the database's role (never as an administrator). 400 when pg_restore "
                    + "refuses the archive; 409 when this node has no pg_restore of the server's major version or newer.")
    Restored restore(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name,
            HttpServletRequest request) throws IOException {
        Tenant tenant = access.managedBy(caller, slug);
        Database d = find(tenant, name);
        if (d.readOnly()) {
            throw new ConflictException("database " + name + " is read-only, past its size bound");
        }
        DatabaseDumps.Tool pgRestore = dumps.tool("pg_restore");
        long bytes;
        try (CountingInputStream body = new CountingInputStream(request.getInputStream())) {
            dumps.restore(d, pgRestore, body);
            bytes = body.count();
        } catch (DatabaseDumps.DumpFailed e) {
            throw ApiProblems.badRequest("archive", e.getMessage());
        }
        tx.executeWithoutResult(status -> audit.record(caller.username(), tenant, "database.restore", "database:" + name,
                Map.of("bytes", bytes)));
        return new Restored(name, bytes);
    }

    /** Counts what was read through it. */
    private static final class CountingInputStream extends java.io.FilterInputStream {
        private long count;

        CountingInputStream(java.io.InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        long count() {
            return count;
        }
    }
}
