package dev.palisade.model.quota;

import org.springframework.data.jpa.repository.JpaRepository;

interface QuotaRepository extends JpaRepository<Quota, Long> {
}
