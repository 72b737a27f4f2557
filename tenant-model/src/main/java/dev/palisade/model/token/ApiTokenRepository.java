package dev.palisade.model.token;

import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;

interface ApiTokenRepository extends JpaRepository<ApiToken, Long> {

    Page<ApiToken> findByUserId(Long userId, Pageable pageable);

    Optional<ApiToken> findByPublicIdAndUserId(UUID publicId, Long userId);

    boolean existsByPrefix(String prefix);
}
