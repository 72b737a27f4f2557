package dev.palisade.web.automation;

import dev.palisade.web.support.CurrentUser;

/** Suspends and resumes a cron job as the REST API does; implemented by the platform application. */
public interface CronJobActions {

    /** Suspends (true) or resumes (false) the tenant's cron job, audited; false when there is no such job. */
    boolean suspend(CurrentUser actor, String tenantSlug, String name, boolean suspended);
}
