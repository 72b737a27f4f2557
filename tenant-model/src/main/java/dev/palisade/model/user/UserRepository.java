package dev.palisade.model.user;

import dev.palisade.model.tenant.Tenant;
import java.util.Optional;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.EntityGraph;
import org.springframework.data.jpa.repository.JpaRepository;

interface UserRepository extends JpaRepository<User, Long> {

    @EntityGraph(attributePaths = "tenant")
    Optional<User> findByUsername(String username);

    boolean existsByUsername(String username);

    Page<User> findByTenant(Tenant tenant, Pageable pageable);

    Optional<User> findByIdAndTenant(Long id, Tenant tenant);
}
