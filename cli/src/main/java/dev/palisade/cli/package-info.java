/**
 * {@code palisade}, the command-line client of REST API v1 for DevOps: log in once (a token kept
 * in the user's configuration directory, readable by the user only), then tenants, workloads
 * (run and wait for the exit status), logs (followed live), services, tokens and cron jobs, as a
 * table or as JSON; errors from the API (problem+json) printed as one plain line.
 */
package dev.palisade.cli;
