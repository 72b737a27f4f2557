package dev.palisade.platform.cron;

import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.tenant.TenantService;
import dev.palisade.model.workload.AdmissionException;
import dev.palisade.model.workload.WorkloadService.Admitted;
import dev.palisade.platform.cron.CronJobStore.CronJob;
import dev.palisade.platform.dispatch.Dispatcher;
import dev.palisade.platform.workload.WorkloadCancels;
import dev.palisade.platform.workload.WorkloadSubmissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.ErrorResponseException;
import tools.jackson.databind.json.JsonMapper;

/**
 * What one firing of a cron job does, on the instance db-scheduler handed it to: claims the
 * firing (recorded once per job and time), then misses it past the starting deadline, or
 * applies the concurrency policy to the job's runs still queued or running, and submits the
 * job's spec as an ordinary workload of the tenant, admitted against its quota.
 */
@Component
class CronJobFiring {

    private static final Logger log = LoggerFactory.getLogger(CronJobFiring.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final CronJobStore store;
    private final TenantService tenants;
    private final WorkloadSubmissions submissions;
    private final WorkloadCancels cancels;
    private final Dispatcher dispatcher;

    CronJobFiring(CronJobStore store, TenantService tenants, WorkloadSubmissions submissions, WorkloadCancels cancels,
            Dispatcher dispatcher) {
        this.store = store;
        this.tenants = tenants;
        this.submissions = submissions;
        this.cancels = cancels;
        this.dispatcher = dispatcher;
    }

    void fire(UUID jobId, Instant scheduledFor) {
        Optional<CronJob> found = store.byId(jobId);
        if (found.isEmpty() || found.get().suspended()) {
            return; // deleted or suspended since db-scheduler read it; suspension cancels the next firing too
        }
        CronJob job = found.get();
        if (!store.claim(jobId, scheduledFor, dispatcher.node())) {
            log.warn("Cron job {} of {}: the firing at {} was handled already", job.name(), job.tenant(), scheduledFor);
            return;
        }
        String actor = "cron:" + job.name();
        Duration late = Duration.between(scheduledFor, Instant.now());
        if (job.startingDeadlineSeconds() != null && late.getSeconds() > job.startingDeadlineSeconds()) {
            store.record(jobId, scheduledFor, "MISSED", null, "started " + late.getSeconds()
                    + " s late, past the starting deadline of " + job.startingDeadlineSeconds() + " s");
            return;
        }
        Tenant tenant = tenants.get(job.tenant());
        List<UUID> active = store.active(jobId);
        if (!active.isEmpty() && job.concurrencyPolicy() == ConcurrencyPolicy.FORBID) {
            store.record(jobId, scheduledFor, "SKIPPED", null, "forbidden while run " + active.get(0) + " is still going");
            return;
        }
        if (job.concurrencyPolicy() == ConcurrencyPolicy.REPLACE) {
            active.forEach(id -> cancels.cancel(actor, tenant, id));
        }
        try {
            WorkloadSubmissions.Spec spec = JSON.readValue(job.spec(), WorkloadSubmissions.Spec.class);
            Admitted admitted = submissions.submit(actor, tenant, spec, null);
            AdmissionException refusal = admitted.refusal();
            store.record(jobId, scheduledFor, refusal == null ? "STARTED" : "REJECTED", admitted.workload().getId(),
                    refusal == null ? null : refusal.getMessage());
        } catch (ErrorResponseException | IllegalArgumentException e) {
            // the spec was valid when saved; an image removed since, say, makes it invalid now
            String why = e instanceof ErrorResponseException r && r.getBody().getDetail() != null
                    ? r.getBody().getDetail() : e.getMessage();
            store.record(jobId, scheduledFor, "REJECTED", null, why);
        }
    }
}
