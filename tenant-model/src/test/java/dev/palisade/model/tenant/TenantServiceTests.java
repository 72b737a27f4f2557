package dev.palisade.model.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.palisade.model.ConflictException;
import dev.palisade.model.audit.AuditEvent;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.audit.AuditQuery;
import dev.palisade.model.quota.QuotaLimits;
import dev.palisade.model.quota.QuotaService;
import dev.palisade.model.user.Role;
import dev.palisade.model.user.UserService;
import dev.palisade.model.workload.Workload;
import dev.palisade.model.workload.WorkloadRepository;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.data.domain.PageRequest;
import org.springframework.jdbc.core.JdbcTemplate;

@SpringBootTest
class TenantServiceTests {

    @Autowired TenantService tenants;
    @Autowired QuotaService quotas;
    @Autowired UserService users;
    @Autowired AuditLog audit;
    @Autowired WorkloadRepository workloads;
    @Autowired JdbcTemplate jdbc;

    @Test
    void aNewTenantGetsTheDefaultQuotaAndEveryChangeIsAudited() {
        String slug = "acme-" + UUID.randomUUID().toString().substring(0, 8);
        Tenant t = tenants.create("alice", slug, "Acme");
        assertThat(quotas.get(t).limits()).isEqualTo(QuotaLimits.DEFAULT);

        QuotaLimits bigger = new QuotaLimits(8, 1, 2, 3, 4, 5, 6, 7);
        quotas.replace("alice", t, bigger);
        tenants.update("alice", slug, "Acme Inc", TenantStatus.SUSPENDED);
        assertThat(quotas.get(t).limits()).isEqualTo(bigger);

        assertThat(audit.search(new AuditQuery(slug, null, null, null, null), PageRequest.of(0, 10)))
                .extracting(AuditEvent::getAction, AuditEvent::getActor)
                .containsExactlyInAnyOrder(
                        tuple("tenant.create", "alice"),
                        tuple("quota.update", "alice"),
                        tuple("tenant.update", "alice"));
    }

    @Test
    void slugsAreUnique() {
        String slug = "dup-" + UUID.randomUUID().toString().substring(0, 8);
        tenants.create("alice", slug, "One");
        assertThatThrownBy(() -> tenants.create("alice", slug, "Two")).isInstanceOf(ConflictException.class);
    }

    @Test
    void deletingATenantRemovesItsDataButKeepsTheAuditTrail() {
        String slug = "gone-" + UUID.randomUUID().toString().substring(0, 8);
        Tenant t = tenants.create("alice", slug, "Gone");
        users.create("alice", t, "user-" + slug, "a long enough password", Role.TENANT_ADMIN);
        workloads.save(new Workload(t, "hello", "busybox", "[\"echo\",\"hi\"]", "{}", "auto", "{}"));

        tenants.delete("alice", slug);

        assertThat(tenants.find(slug)).isEmpty();
        assertThat(jdbc.queryForObject("select count(*) from app_user where tenant_id = ?", Integer.class, t.getId())).isZero();
        assertThat(jdbc.queryForObject("select count(*) from workload where tenant_id = ?", Integer.class, t.getId())).isZero();
        assertThat(audit.search(new AuditQuery(slug, "tenant.delete", null, null, null), PageRequest.of(0, 10)))
                .hasSize(1);
    }

    @Test
    void aLookUpReadsTheTenantAsItIsNowAndItsAuditEventCarriesEveryField() {
        String slug = "look-" + UUID.randomUUID().toString().substring(0, 8);
        Tenant created = tenants.create("alice", slug, "Look");
        Tenant seen = tenants.lookUp(slug).orElseThrow();
        Tenant managed = tenants.find(slug).orElseThrow();
        assertThat(seen).usingRecursiveComparison().isEqualTo(managed);
        assertThat(seen.getId()).isEqualTo(created.getId());

        // no cache: a suspension shows at the next look-up
        tenants.update("bob", slug, "Look again", TenantStatus.SUSPENDED);
        assertThat(tenants.lookUp(slug).orElseThrow())
                .extracting(Tenant::getStatus, Tenant::getDisplayName)
                .containsExactly(TenantStatus.SUSPENDED, "Look again");
        assertThat(tenants.lookUp("no-such-" + slug)).isEmpty();

        AuditEvent update = audit.search(new AuditQuery(slug, "tenant.update", null, null, null), PageRequest.of(0, 1))
                .getContent().get(0);
        assertThat(update.getActor()).isEqualTo("bob");
        assertThat(update.getTenantId()).isEqualTo(created.getId());
        assertThat(update.getTarget()).isEqualTo("tenant:" + slug);
        assertThat(update.getDetails()).contains("Look again");
        assertThat(update.getOccurredAt()).isNotNull().isAfterOrEqualTo(seen.getCreatedAt().minusSeconds(1));
    }
}
