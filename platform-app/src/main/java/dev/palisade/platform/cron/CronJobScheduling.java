package dev.palisade.platform.cron;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTaskWithPersistentSchedule;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.palisade.platform.dispatch.Dispatcher;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;

/**
 * db-scheduler, configured here rather than by its Spring Boot starter (built for Boot 3), with
 * every task of the context: here the recurring task whose instances are the cron jobs, each
 * carrying its own {@link CronTrigger}; recurring tasks (webhook deliveries) start themselves.
 * Every instance of the application may poll; db-scheduler locks a due execution (SELECT … FOR
 * UPDATE SKIP LOCKED) so that one instance runs it and computes the next. It starts once the
 * application is ready (the schema migrated) and stops with the context.
 */
@Configuration(proxyBeanMethods = false)
class CronJobScheduling {

    static final String TASK = "cron-job";

    @Bean
    RecurringTaskWithPersistentSchedule<CronTrigger> cronJobTask(CronJobFiring firing) {
        return Tasks.recurringWithPersistentSchedule(TASK, CronTrigger.class)
                .execute((instance, context) -> firing.fire(UUID.fromString(instance.getId()),
                        context.getExecution().executionTime));
    }

    @Bean(destroyMethod = "stop")
    Scheduler cronJobScheduler(DataSource dataSource, List<Task<?>> tasks, List<RecurringTask<?>> recurring,
            CronJobProperties properties, Dispatcher dispatcher) {
        // recurring tasks are known through startTasks, which also schedules their first run
        return Scheduler.create(dataSource, tasks.stream().filter(t -> !(t instanceof RecurringTask)).toList())
                .startTasks(recurring)
                .schedulerName(new SchedulerName.Fixed(dispatcher.node()))
                .threads(properties.threads())
                .pollingInterval(properties.pollingInterval())
                .pollUsingLockAndFetch(0.5, 1.0)
                .build();
    }

    @EventListener(ApplicationReadyEvent.class)
    void start(ApplicationReadyEvent ready) {
        CronJobProperties properties = ready.getApplicationContext().getBean(CronJobProperties.class);
        if (properties.enabled()) {
            ready.getApplicationContext().getBean(Scheduler.class).start();
        }
    }
}
