package dev.palisade.platform.cron;

import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.platform.cron.CronJobStore.CronJob;
import dev.palisade.web.automation.CronJobActions;
import dev.palisade.web.support.CurrentUser;
import java.util.Optional;
import org.springframework.stereotype.Component;

/** The portal's suspend and resume of a cron job, through {@link CronJobs} as the API's PATCH does. */
@Component
class ConsoleCronJobActions implements CronJobActions {

    private final CronJobs cronJobs;
    private final CronJobStore store;
    private final TenantService tenants;

    ConsoleCronJobActions(CronJobs cronJobs, CronJobStore store, TenantService tenants) {
        this.cronJobs = cronJobs;
        this.store = store;
        this.tenants = tenants;
    }

    @Override
    public boolean suspend(CurrentUser actor, String tenantSlug, String name, boolean suspended) {
        Tenant tenant = tenants.get(tenantSlug);
        Optional<CronJob> found = store.find(tenant.getId(), name);
        if (found.isEmpty()) {
            return false;
        }
        CronJob j = found.get();
        cronJobs.update(actor.username(), tenant, j, new CronJob(j.id(), j.tenantId(), j.tenant(), j.name(), j.cron(),
                j.timeZone(), j.concurrencyPolicy(), j.startingDeadlineSeconds(), suspended, j.spec(), j.createdBy(),
                j.createdAt(), j.updatedAt()));
        return true;
    }
}
