/**
 * The portal's automation page: the tenant's cron jobs with their latest firings (suspend and
 * resume), and, for its admins, the webhooks with their delivery log and a "send test event"
 * button. Reads are SQL here; the actions go through {@link CronJobActions} and
 * {@link WebhookActions}, which the platform application implements with the REST API's code.
 */
package dev.palisade.web.automation;
