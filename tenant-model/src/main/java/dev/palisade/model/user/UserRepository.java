package dev.palisade.model.user;

import dev.palisade.model.tenant.Tenant;
import java.util.List;
import java.util.Optional;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.EntityGraph;
import org.springframework.data.jpa.repository.JpaRepository;

interface UserRepository extends JpaRepository<User, Long> {

    /** A platform admin, by name. */
    @EntityGraph(attributePaths = "tenant")
    Optional<User> findByUsernameAndTenantIsNull(String username);

    @EntityGraph(attributePaths = "tenant")
    Optional<User> findByUsernameAndTenantSlug(String username, String slug);

    boolean existsByUsernameAndTenant(String username, Tenant tenant);

    boolean existsByUsernameAndTenantIsNull(String username);

    Page<User> findByTenant(Tenant tenant, Pageable pageable);

    Optional<User> findByIdAndTenant(Long id, Tenant tenant);

    Optional<User> findByPublicIdAndTenant(java.util.UUID publicId, Tenant tenant);
}
