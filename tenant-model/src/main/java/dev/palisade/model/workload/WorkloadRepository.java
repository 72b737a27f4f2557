package dev.palisade.model.workload;

import dev.palisade.model.tenant.Tenant;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;

/** Every lookup takes the tenant, so a workload of another tenant is simply not found. */
public interface WorkloadRepository extends JpaRepository<Workload, UUID> {

    Optional<Workload> findByIdAndTenant(UUID id, Tenant tenant);

    long countByTenantAndStateIn(Tenant tenant, java.util.Collection<WorkloadState> states);
}
