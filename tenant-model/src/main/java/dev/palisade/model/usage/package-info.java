/**
 * What a tenant used in a month and what it stores now ({@link Usage}), read by
 * {@link UsageService} from running totals that database triggers on the workload table keep in
 * the same transaction as every change, so that a read is one row.
 */
package dev.palisade.model.usage;
