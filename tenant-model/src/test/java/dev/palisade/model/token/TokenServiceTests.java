package dev.palisade.model.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.model.NotFoundException;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.model.tenant.TenantStatus;
import dev.palisade.model.user.Role;
import dev.palisade.model.user.User;
import dev.palisade.model.user.UserService;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;

@SpringBootTest
class TokenServiceTests {

    @Autowired TokenService tokens;
    @Autowired TenantService tenants;
    @Autowired UserService users;
    @Autowired JdbcTemplate jdbc;

    Tenant tenant;
    User member;

    @BeforeEach
    void tenantWithMember() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        tenant = tenants.create("test", "tok-" + suffix, "Token test");
        member = users.create("test", tenant, "member-" + suffix, "correct horse battery", Role.TENANT_MEMBER);
    }

    @Test
    void mintedTokenHasTheDocumentedShapeAndOnlyItsHashIsStored() {
        MintedToken minted = tokens.mint(member.getId(), "ci", Duration.ofDays(1));

        assertThat(minted.secret()).matches("pal_[a-z0-9]{8}_[A-Za-z0-9_-]{43}");
        assertThat(minted.secret()).startsWith(minted.token().getPrefix() + "_");
        String stored = jdbc.queryForObject("select token_hash from api_token where id = ?", String.class,
                minted.token().getId());
        assertThat(stored).isEqualTo(TokenService.sha256(minted.secret())).doesNotContain(minted.secret());
        assertThat(jdbc.queryForObject("select count(*) from api_token where token_hash like ? or name like ?",
                Integer.class, "%" + minted.secret() + "%", "%" + minted.secret() + "%")).isZero();
    }

    @Test
    void aValidTokenResolvesToItsOwnerWithRoleAndTenant() {
        MintedToken minted = tokens.mint(member.getId(), "ci", Duration.ofDays(1));

        TokenOwner owner = tokens.introspect(minted.secret()).orElseThrow();

        assertThat(owner.username()).isEqualTo(member.getUsername());
        assertThat(owner.role()).isEqualTo(Role.TENANT_MEMBER);
        assertThat(owner.tenantSlug()).isEqualTo(tenant.getSlug());
        assertThat(tokens.get(member.getId(), minted.token().getPublicId()).getLastUsedAt()).isNotNull();
    }

    @Test
    void revokedExpiredSuspendedAndForgedTokensResolveToNobody() {
        MintedToken revoked = tokens.mint(member.getId(), "a", Duration.ofDays(1));
        MintedToken expired = tokens.mint(member.getId(), "b", Duration.ofDays(1));
        MintedToken suspended = tokens.mint(member.getId(), "c", Duration.ofDays(1));

        tokens.revoke(member.getId(), revoked.token().getPublicId());
        jdbc.update("update api_token set expires_at = now() - interval '1 second' where id = ?",
                expired.token().getId());

        assertThat(tokens.introspect(revoked.secret())).isEmpty();
        assertThat(tokens.introspect(expired.secret())).isEmpty();
        assertThat(tokens.introspect(suspended.secret())).isPresent();
        tenants.update("test", tenant.getSlug(), null, TenantStatus.SUSPENDED);
        assertThat(tokens.introspect(suspended.secret())).isEmpty();

        String forged = suspended.secret().substring(0, suspended.secret().length() - 1) + "A";
        assertThat(tokens.introspect(forged)).isEmpty();
        assertThat(tokens.introspect("not-a-token")).isEmpty();
    }

    @Test
    void revokingSomeoneElsesTokenIsNotFound() {
        MintedToken minted = tokens.mint(member.getId(), "mine", Duration.ofDays(1));
        User other = users.create("test", tenant, "other-" + tenant.getSlug(), "another long password", Role.TENANT_MEMBER);

        assertThatThrownBy(() -> tokens.revoke(other.getId(), minted.token().getPublicId()))
                .isInstanceOf(NotFoundException.class);
        assertThat(tokens.introspect(minted.secret())).isPresent();
    }
}
