package dev.palisade.platform;

import dev.palisade.model.quota.QuotaLimits;
import dev.palisade.model.quota.QuotaService;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The application on a database no other test context's worker polls, with this context's own
 * worker off: a test starts the workers it needs itself, so every claim it sees is its own.
 * The classes that extend this share one context.
 */
@SpringBootTest(properties = {"palisade.dispatcher.enabled=false", "palisade.dispatcher.retry-backoff=1s",
        "palisade.dispatcher.retry-backoff-max=1m"})
@ActiveProfiles("test")
public abstract class OwnDatabaseTests {

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) throws Exception {
        registry.add("spring.datasource.url", () -> TestDatabase.own("palisade_own"));
        String dir = java.nio.file.Files.createTempDirectory("palisade-own-db-tests").toString();
        registry.add("palisade.data-dir", () -> dir);
    }

    @Autowired
    protected TenantService tenants;

    @Autowired
    protected QuotaService quotas;

    @Autowired
    protected JdbcClient jdbc;

    private final List<Long> made = new ArrayList<>();

    /** A new tenant with the given quota. */
    protected Tenant tenant(QuotaLimits limits) {
        Tenant t = tenants.create("test", "t-" + UUID.randomUUID().toString().substring(0, 8), "test");
        quotas.replace("test", t, limits);
        made.add(t.getId());
        return tenants.get(t.getSlug());
    }

    /** What a test leaves queued must not be claimed by the workers of the next one. */
    @AfterEach
    void cancelWhatIsLeftQueued() {
        if (!made.isEmpty()) {
            jdbc.sql("update workload set state = 'CANCELLED', finished_at = now() where tenant_id in (:t) and state = 'QUEUED'")
                    .param("t", made).update();
        }
    }
}
