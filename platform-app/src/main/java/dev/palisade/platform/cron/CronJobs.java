package dev.palisade.platform.cron;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.ScheduledExecution;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceCurrentlyExecutingException;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTaskWithPersistentSchedule;
import dev.palisade.model.ConflictException;
import dev.palisade.model.NotFoundException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.platform.cron.CronJobStore.CronJob;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Creates, changes, suspends, resumes and deletes cron jobs: the row, audited, and its next
 * firing with db-scheduler (a suspended job has none; resuming computes it from now).
 */
@Component
class CronJobs {

    private final CronJobStore store;
    private final Scheduler scheduler;
    private final RecurringTaskWithPersistentSchedule<CronTrigger> task;
    private final AuditLog audit;
    private final TransactionTemplate tx;

    CronJobs(CronJobStore store, Scheduler scheduler, RecurringTaskWithPersistentSchedule<CronTrigger> task,
            AuditLog audit, TransactionTemplate tx) {
        this.store = store;
        this.scheduler = scheduler;
        this.task = task;
        this.audit = audit;
        this.tx = tx;
    }

    CronJob get(Tenant tenant, String name) {
        return store.find(tenant.getId(), name).orElseThrow(() -> new NotFoundException("no cron job " + name));
    }

    CronJob create(String actor, Tenant tenant, CronJob job) {
        if (store.find(tenant.getId(), job.name()).isPresent()) {
            throw new ConflictException("cron job '" + job.name() + "' exists already");
        }
        // the row first, committed; db-scheduler schedules on connections of its own
        tx.executeWithoutResult(status -> {
            store.insert(job);
            audit.record(actor, tenant, "cronjob.create", "cronjob:" + job.name(),
                    Map.of("cron", job.cron(), "timeZone", job.timeZone()));
        });
        if (!job.suspended()) {
            scheduler.schedule(task.schedulableInstance(job.id().toString(), job.trigger()));
        }
        return get(tenant, job.name());
    }

    CronJob update(String actor, Tenant tenant, CronJob before, CronJob after) {
        String action = before.suspended() == after.suspended() ? "cronjob.update"
                : after.suspended() ? "cronjob.suspend" : "cronjob.resume";
        tx.executeWithoutResult(status -> {
            store.update(after);
            audit.record(actor, tenant, action, "cronjob:" + after.name(),
                    Map.of("cron", after.cron(), "timeZone", after.timeZone()));
        });
        String id = after.id().toString();
        boolean scheduled = scheduler.getScheduledExecution(instance(id)).isPresent();
        if (after.suspended()) {
            if (scheduled) {
                unlessFiring(() -> scheduler.cancel(instance(id)));
            }
        } else if (!scheduled) {
            scheduler.schedule(task.schedulableInstance(id, after.trigger()));
        } else if (!after.trigger().equals(before.trigger())) {
            unlessFiring(() -> scheduler.reschedule(task.schedulableInstance(id, after.trigger())));
        }
        return get(tenant, after.name());
    }

    void delete(String actor, Tenant tenant, CronJob job) {
        String id = job.id().toString();
        if (scheduler.getScheduledExecution(instance(id)).isPresent()) {
            unlessFiring(() -> scheduler.cancel(instance(id)));
        }
        tx.executeWithoutResult(status -> {
            store.delete(job.id());
            audit.record(actor, tenant, "cronjob.delete", "cronjob:" + job.name(), Map.of());
        });
    }

    /**
     * Changes a job's execution once a firing in progress has ended: db-scheduler refuses to
     * change an execution it has picked, and a firing only submits the job's workload, so it ends
     * within milliseconds. Past {@link #FIRING_WAIT_MILLIS} the change is given up and logged: a
     * suspended or deleted job still never runs (its firing checks the stored state), a new
     * schedule waits for the job's next edit.
     */
    private static void unlessFiring(Runnable change) {
        long deadline = System.nanoTime() + FIRING_WAIT_MILLIS * 1_000_000L;
        while (true) {
            try {
                change.run();
                return;
            } catch (TaskInstanceCurrentlyExecutingException e) {
                if (System.nanoTime() > deadline) {
                    org.slf4j.LoggerFactory.getLogger(CronJobs.class).warn("A cron job's firing ran past {} ms: its"
                            + " execution was left as it was ({})", FIRING_WAIT_MILLIS, e.getMessage());
                    return;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static final long FIRING_WAIT_MILLIS = 5_000;

    /** The job's instance of the db-scheduler task (for reads and cancels: the data is not needed). */
    private static TaskInstanceId instance(String id) {
        return TaskInstanceId.of(CronJobScheduling.TASK, id);
    }

    /** When the job fires next; empty while it is suspended. */
    Optional<Instant> nextFiring(UUID id) {
        return scheduler.getScheduledExecution(instance(id.toString())).map(ScheduledExecution::getExecutionTime);
    }
}
