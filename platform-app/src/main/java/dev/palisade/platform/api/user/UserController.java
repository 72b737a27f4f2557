package dev.palisade.platform.api.user;

import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.user.Role;
import dev.palisade.model.user.User;
import dev.palisade.model.user.UserService;
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
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.springframework.data.domain.Sort;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Users of a tenant, managed by platform admins and the tenant's own admins. The tenant comes
 * from the path only; platform admins cannot be made here.
 */
@RestController
@Tag(name = "Users", description = "Users of a tenant, managed by platform admins and the tenant's admins")
@RequestMapping("/api/v1/tenants/{tenant}/users")
class UserController {

    private static final Map<String, String> SORTABLE =
            Map.of("username", "username", "role", "role", "createdAt", "createdAt");

    private final UserService users;
    private final TenantAccess access;
    private final Paging paging;

    UserController(UserService users, TenantAccess access, Paging paging) {
        this.users = users;
        this.access = access;
        this.paging = paging;
    }

    @Schema(description = "A new user of the tenant",
            example = "{\"username\": \"bob\", \"password\": \"correct-horse-battery\", \"role\": \"TENANT_MEMBER\"}")
    record CreateUser(
            @NotBlank @Size(min = 3, max = 64)
            @Pattern(regexp = "[a-z0-9][a-z0-9._-]*", message = "lower-case letters, digits, '.', '_' and '-' only")
            String username,
            @NotNull @Size(min = 12, max = 200, message = "must be 12 to 200 characters") String password,
            @NotNull @Pattern(regexp = "TENANT_ADMIN|TENANT_MEMBER", message = "must be TENANT_ADMIN or TENANT_MEMBER")
            String role) {

        @Override
        public String toString() {
            return "CreateUser[" + username + ", " + role + "]";
        }
    }

    record UserResponse(UUID id, String username, Role role, String tenant, Instant createdAt) {
        static UserResponse of(User u, Tenant t) {
            return new UserResponse(u.getPublicId(), u.getUsername(), u.getRole(), t.getSlug(), u.getCreatedAt());
        }
    }

    @PostMapping
    @Operation(operationId = "createUser", summary = "Create a user of the tenant", description = "Platform admin or "
            + "the tenant's admin. role: TENANT_ADMIN or TENANT_MEMBER; password 12 to 200 characters.")
    @ApiResponse(responseCode = "201", description = "Created")
    ResponseEntity<UserResponse> create(Caller caller, @PathVariable("tenant") String slug,
            @Valid @RequestBody CreateUser body) {
        Tenant tenant = access.managedBy(caller, slug);
        User user = users.create(caller.username(), tenant, body.username(), body.password(), Role.valueOf(body.role()));
        return ResponseEntity.created(URI.create("/api/v1/tenants/" + slug + "/users/" + user.getId()))
                .body(UserResponse.of(user, tenant));
    }

    @GetMapping
    @Operation(operationId = "listUsers", summary = "List the tenant's users",
            description = "Platform admin or the tenant's admin. sort: username (default), role, createdAt")
    PageResponse<UserResponse> list(Caller caller, @PathVariable("tenant") String slug,
            @RequestParam(required = false) Integer page, @RequestParam(required = false) Integer size,
            @RequestParam(required = false) String sort) {
        Tenant tenant = access.managedBy(caller, slug);
        return PageResponse.of(users.list(tenant, paging.of(page, size, sort, SORTABLE, Sort.by("username"))),
                u -> UserResponse.of(u, tenant));
    }
}
