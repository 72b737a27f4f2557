package dev.palisade.model.token;

import java.util.Optional;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

interface ApiTokenRepository extends JpaRepository<ApiToken, Long> {

    /** One query for everything introspection checks: token, owner and owner's tenant. */
    @Query("select t from ApiToken t join fetch t.user u left join fetch u.tenant where t.tokenHash = :hash")
    Optional<ApiToken> findByHashWithOwner(String hash);

    Page<ApiToken> findByUserId(Long userId, Pageable pageable);

    Optional<ApiToken> findByIdAndUserId(Long id, Long userId);

    boolean existsByPrefix(String prefix);
}
