package dev.palisade.platform.account;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.platform.account.Passwords.Account;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.security.Caller;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** Passwords through the API: your own change, and an admin's reset of a tenant's user. */
@RestController
@Tag(name = "Passwords", description = "Change your own password; reset a user's to a one-time password")
class PasswordController {

    private final Passwords passwords;
    private final TenantAccess access;

    PasswordController(Passwords passwords, TenantAccess access) {
        this.passwords = passwords;
        this.access = access;
    }

    @Schema(description = "Your current password and the new one",
            example = "{\"currentPassword\": \"the-old-one-123\", \"newPassword\": \"a-much-better-one-456\"}")
    record PasswordChange(String currentPassword,
            @Schema(description = "12 to 200 characters, not containing your user name, not a common password")
            String newPassword) {
    }

    @Schema(name = "PasswordReset", description = "The one-time password, shown this once")
    record ResetResponse(String username,
            @Schema(description = "to be changed at the next login") String oneTimePassword) {
    }

    @PostMapping("/api/v1/account/password")
    @Operation(operationId = "changePassword", summary = "Change your password", description = "The current password "
            + "is required. Every console session of yours ends; your API tokens stay valid.")
    @ApiResponse(responseCode = "204", description = "Changed")
    ResponseEntity<Void> change(Caller caller, @RequestBody PasswordChange body) {
        if (body == null) {
            throw ApiProblems.badRequest("newPassword", "is required");
        }
        try {
            passwords.change(caller.userId(), body.currentPassword(), body.newPassword());
        } catch (Passwords.Refused e) {
            throw ApiProblems.badRequest(e.field, e.getMessage());
        }
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/api/v1/tenants/{tenant}/users/{id}/password-reset")
    @Operation(operationId = "resetPassword", summary = "Reset a user's password", description = "Platform admin or "
            + "the tenant's admin, for another user of the tenant. Sets a one-time password the user must change at "
            + "the next login, ends their sessions and revokes their API tokens.")
    ResetResponse reset(Caller caller, @PathVariable("tenant") String slug, @PathVariable("id") UUID id) {
        Tenant tenant = access.managedBy(caller, slug);
        Account account = passwords.account(id).filter(a -> tenant.getId().equals(a.tenantId()))
                .orElseThrow(() -> new NotFoundException("no user " + id));
        if (account.id() == caller.userId()) {
            throw ApiProblems.forbidden("Change your own password with POST /api/v1/account/password");
        }
        return new ResetResponse(account.username(), passwords.reset(caller.username(), account));
    }
}
