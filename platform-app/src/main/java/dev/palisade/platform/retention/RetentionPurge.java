package dev.palisade.platform.retention;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The purge of workloads older than their tenant's retention, as a recurring db-scheduler task:
 * one instance at a time, every {@code palisade.retention.purge-interval}, batch after batch
 * until nothing is left to delete.
 */
@Configuration(proxyBeanMethods = false)
class RetentionPurge {

    static final String TASK = "retention-purge";
    private static final Logger log = LoggerFactory.getLogger(RetentionPurge.class);

    private final RetentionStore store;
    private final RetentionProperties properties;

    RetentionPurge(RetentionStore store, RetentionProperties properties) {
        this.store = store;
        this.properties = properties;
    }

    @Bean
    RecurringTask<Void> retentionPurgeTask() {
        return Tasks.recurring(TASK, Schedules.fixedDelay(properties.purgeInterval()))
                .execute((instance, context) -> purge());
    }

    /** Deletes every workload past its retention; how many. */
    int purge() {
        int total = 0;
        for (int n; (n = store.purge(properties.defaultDays(), properties.batch())) > 0; ) {
            total += n;
            if (n < properties.batch()) {
                break;
            }
        }
        if (total > 0) {
            log.info("Retention purge: deleted {} finished workloads with their logs and artifacts", total);
        }
        return total;
    }
}
