package dev.palisade.model.user;

import dev.palisade.model.ConflictException;
import dev.palisade.model.NotFoundException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.tenant.Tenant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class UserService {

    private final UserRepository users;
    private final PasswordEncoder passwordEncoder;
    private final AuditLog audit;

    UserService(UserRepository users, PasswordEncoder passwordEncoder, AuditLog audit) {
        this.users = users;
        this.passwordEncoder = passwordEncoder;
        this.audit = audit;
    }

    /**
     * Creates a user of the given tenant (or a platform admin when tenant is null). The role
     * must match: platform admins have no tenant, everybody else has exactly one.
     */
    @Transactional
    public User create(String actor, Tenant tenant, String username, String rawPassword, Role role) {
        if ((tenant == null) != (role == Role.PLATFORM_ADMIN)) {
            throw new IllegalArgumentException("role " + role + " does not fit " + (tenant == null ? "no tenant" : "a tenant"));
        }
        // taken only within the tenant (or among platform admins): nothing about other tenants' names
        if (tenant == null ? users.existsByUsernameAndTenantIsNull(username) : users.existsByUsernameAndTenant(username, tenant)) {
            throw new ConflictException("username '" + username + "' is taken");
        }
        User user = users.save(new User(username, passwordEncoder.encode(rawPassword), role, tenant));
        audit.record(actor, tenant, "user.create", "user:" + username, Map.of("role", role));
        return user;
    }

    /**
     * The user a login name means: {@code name@tenant} is the tenant's user of that name, any other
     * name only ever a platform admin. A plain name never falls back to a tenant's user: whether
     * it logged in would tell whether some tenant has that name.
     */
    @Transactional(readOnly = true)
    public Optional<LoginUser> findForLogin(String loginName) {
        int at = loginName.lastIndexOf('@');
        if (at > 0) {
            Optional<User> qualified = users.findByUsernameAndTenantSlug(loginName.substring(0, at),
                    loginName.substring(at + 1));
            if (qualified.isPresent()) {
                return qualified.map(LoginUser::of);
            }
        }
        return users.findByUsernameAndTenantIsNull(loginName).map(LoginUser::of); // a platform admin's name may hold an '@'
    }

    /** Whether a platform admin of this name exists. */
    @Transactional(readOnly = true)
    public boolean platformAdminExists(String username) {
        return users.existsByUsernameAndTenantIsNull(username);
    }

    @Transactional(readOnly = true)
    public Page<User> list(Tenant tenant, Pageable pageable) {
        return users.findByTenant(tenant, pageable);
    }

    /** A user of the tenant; a user of another tenant answers like a missing one. */
    @Transactional(readOnly = true)
    public User get(Tenant tenant, long userId) {
        return users.findByIdAndTenant(userId, tenant)
                .orElseThrow(() -> new NotFoundException("no user " + userId + " in tenant '" + tenant.getSlug() + "'"));
    }

    /** A user of the tenant by the id pages and the API show; a user of another tenant answers like a missing one. */
    @Transactional(readOnly = true)
    public User get(Tenant tenant, java.util.UUID publicId) {
        return users.findByPublicIdAndTenant(publicId, tenant)
                .orElseThrow(() -> new NotFoundException("no user " + publicId + " in tenant '" + tenant.getSlug() + "'"));
    }

    /** Gives a user of the tenant another tenant role (TENANT_ADMIN or TENANT_MEMBER). */
    @Transactional
    public User changeRole(String actor, Tenant tenant, long userId, Role role) {
        if (!role.isTenantRole()) {
            throw new IllegalArgumentException("a tenant user cannot become " + role);
        }
        User user = get(tenant, userId);
        if (user.getRole() != role) {
            audit.record(actor, tenant, "user.role", "user:" + user.getUsername(),
                    Map.of("from", user.getRole(), "to", role));
            user.setRole(role);
        }
        return user;
    }

    /** Removes a user of the tenant with their tokens; their console session ends at its next request. */
    @Transactional
    public void remove(String actor, Tenant tenant, long userId) {
        User user = get(tenant, userId);
        audit.record(actor, tenant, "user.delete", "user:" + user.getUsername(), Map.of("role", user.getRole()));
        users.delete(user);
    }
}
