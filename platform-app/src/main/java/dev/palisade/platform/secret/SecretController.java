package dev.palisade.platform.secret;

import dev.palisade.model.ConflictException;
import dev.palisade.model.NotFoundException;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.security.Caller;
import dev.palisade.platform.service.ServiceDeployer;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
 * A tenant's secrets through the REST API: write-only. Members list them (name, version, when
 * and by whom changed); tenant admins set and delete them. Setting one restarts (a rolling
 * redeploy) the running services given it, and the answer names them.
 */
@RestController
@Tag(name = "Secrets", description = "per-tenant named secrets, sealed at rest, given to workloads; values are never returned")
class SecretController {

    private final TenantAccess access;
    private final SecretVault vault;
    private final ServiceDeployer deployer;
    private final TransactionTemplate tx;

    SecretController(TenantAccess access, SecretVault vault, ServiceDeployer deployer, TransactionTemplate tx) {
        this.access = access;
        this.vault = vault;
        this.deployer = deployer;
        this.tx = tx;
    }

    /** The body of a set: the value, as text. */
    @Schema(name = "SecretValue", description = "A secret's value, as text", example = "{\"value\": \"s3cr3t\"}")
    record SetSecret(@Schema(description = "at most " + SecretVault.MAX_VALUE_BYTES + " bytes, without NUL") String value) {
    }

    /** What a set answers: the secret (no value) and the services restarted to pick it up. */
    @Schema(name = "SecretSet", description = "The secret as set (no value) and the services redeployed to pick it up")
    record SetAnswer(String name, int version, java.time.Instant updatedAt, String updatedBy, List<String> restarted) {
    }

    @GetMapping("/api/v1/tenants/{tenant}/secrets")
    @Operation(operationId = "listSecrets", summary = "List the tenant's secrets",
            description = "Any user of the tenant. Names, versions and when they changed; never values.")
    List<SecretVault.Info> list(Caller caller, @PathVariable("tenant") String slug) {
        Tenant tenant = access.visible(caller, slug);
        return vault.list(tenant.getId());
    }

    @GetMapping("/api/v1/tenants/{tenant}/secrets/{name}")
    @Operation(operationId = "getSecret", summary = "A secret's name, version and when it changed",
            description = "Any user of the tenant. Never its value.")
    SecretVault.Info get(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        return vault.info(tenant.getId(), name).orElseThrow(() -> new NotFoundException("no secret " + name));
    }

    @PutMapping("/api/v1/tenants/{tenant}/secrets/{name}")
    @Operation(operationId = "setSecret", summary = "Set a secret (tenant admin)", description = "{value}: creates it "
            + "(201), or replaces it with the next version (200); running services given it are redeployed (named in "
            + "restarted).")
    @ApiResponse(responseCode = "200", description = "Replaced with the next version",
            content = @Content(schema = @Schema(implementation = SetAnswer.class)))
    @ApiResponse(responseCode = "201", description = "Created",
            content = @Content(schema = @Schema(implementation = SetAnswer.class)))
    ResponseEntity<SetAnswer> set(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name,
            @RequestBody SetSecret body) {
        Tenant tenant = access.managedBy(caller, slug);
        String problem = new SecretRef(name, null).problem();
        if (problem != null) {
            throw ApiProblems.badRequest("name", problem);
        }
        if (body == null || body.value() == null) {
            throw ApiProblems.badRequest("value", "is required");
        }
        byte[] value = body.value().getBytes(StandardCharsets.UTF_8);
        if (value.length > SecretVault.MAX_VALUE_BYTES || body.value().indexOf('\0') >= 0) {
            throw ApiProblems.badRequest("value", "at most " + SecretVault.MAX_VALUE_BYTES + " bytes of text without NUL");
        }
        SecretVault.Info info = tx.execute(status -> {
            if (vault.info(tenant.getId(), name).isEmpty() && vault.count(tenant.getId()) >= SecretVault.MAX_PER_TENANT) {
                throw new ConflictException("a tenant keeps at most " + SecretVault.MAX_PER_TENANT + " secrets");
            }
            return vault.set(tenant.getId(), tenant.getSlug(), name, value, caller.username());
        });
        List<String> restarted = info.version() > 1 ? deployer.restartUsing(caller.username(), tenant, name) : List.of();
        SetAnswer answer = new SetAnswer(info.name(), info.version(), info.updatedAt(), info.updatedBy(), restarted);
        return info.version() == 1 ? ResponseEntity.status(201).body(answer) : ResponseEntity.ok(answer);
    }

    @DeleteMapping("/api/v1/tenants/{tenant}/secrets/{name}")
    @Operation(operationId = "deleteSecret", summary = "Delete a secret (tenant admin)",
            description = "Refused (409) while a running service is given it.")
    @ApiResponse(responseCode = "204", description = "Deleted")
    ResponseEntity<Void> delete(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.managedBy(caller, slug);
        List<String> users = vault.servicesUsing(tenant.getId(), name);
        if (!users.isEmpty()) {
            throw new ConflictException("secret " + name + " is given to running services: " + String.join(", ", users)
                    + "; stop or redeploy them without it first");
        }
        boolean gone = Boolean.TRUE.equals(tx.execute(status -> vault.delete(tenant.getId(), tenant.getSlug(), name,
                caller.username())));
        if (!gone) {
            throw new NotFoundException("no secret " + name);
        }
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/api/v1/secret-keys/rotate")
    @Operation(operationId = "rotateSecretKey", summary = "Rotate the key that seals secrets (platform admin)",
            description = "A new key from the key file becomes current and every secret is re-sealed with it; 409 "
                    + "when the key comes from configuration.")
    SecretVault.Rotation rotate(Caller caller) {
        access.requirePlatformAdmin(caller);
        try {
            return vault.rotate(caller.username());
        } catch (IllegalStateException e) {
            throw new ConflictException(e.getMessage());
        }
    }
}
