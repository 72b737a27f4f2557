package dev.palisade.platform.tenantdb;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The size bound of tenants' databases, as a recurring db-scheduler task: one instance at a time,
 * every {@code palisade.tenant-databases.check-interval}, {@link TenantDatabases#checkSizes()}; and
 * the databases of deleted tenants dropped ({@link TenantDatabases#sweepDeletedTenants()}).
 */
@Configuration(proxyBeanMethods = false)
class DatabaseSizeCheck {

    static final String TASK = "tenant-database-size-check";

    @Bean
    RecurringTask<Void> tenantDatabaseSizeCheck(TenantDatabases databases, TenantDatabaseProperties properties) {
        return Tasks.recurring(TASK, Schedules.fixedDelay(properties.checkInterval()))
                .execute((instance, context) -> {
                    databases.checkSizes();
                    databases.sweepDeletedTenants();
                });
    }
}
